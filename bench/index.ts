import { benchEngine } from "./engine.js";
import { benchExample } from "./example.js";

/**
 * `npm run bench [case...]`: each case prints one JSON line with its ratio against a baseline
 * measured side by side in the same run. Record results in docs/benchmarks.md.
 */
const cases: Record<string, () => void> = {
  engine: () => benchEngine(),
  example: () => benchExample(),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(cases)) {
  const run = cases[name];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; cases: ${Object.keys(cases).join(", ")}\n`);
    process.exit(2);
  }
  run();
}
