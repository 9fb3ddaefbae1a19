// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/** Rules that need type information, for every TypeScript program in the repository. */
const typedRules = {
  "@typescript-eslint/no-floating-promises": "error",
  "@typescript-eslint/consistent-type-imports": "error",
  "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
};

export default tseslint.config(
  // Example projects are checked by their own pipelines (tsc in examples/*/slipway.yaml).
  { ignores: ["dist/", "node_modules/", "examples/**/node_modules/", "examples/**/*.ts", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.check.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      ...typedRules,
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        {
          selector:
            "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip)$/]",
          message: "Focused or skipped tests hide failures.",
        },
      ],
    },
  },
  {
    // The web UI runs in browsers and has a tsconfig of its own, without Node's types.
    files: ["web/src/**/*.{ts,tsx}", "web/test/**/*.{ts,tsx}"],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { project: "./web/tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: typedRules,
  },
  {
    // The benchmark page (web/bench) is a second entry with its own tsconfig.
    files: ["web/bench/**/*.{ts,tsx}"],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { project: "./web/bench/tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: typedRules,
  },
  {
    // Tool configuration files must default-export their config.
    files: ["vitest.config.ts", "web/vite.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // Library code reports through events and errors; only the CLI and scripts print.
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: { "no-console": "error" },
  },
);
