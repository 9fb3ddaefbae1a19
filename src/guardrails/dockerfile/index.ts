import type { FrameworkScanner, SourceFile } from "../model.js";
import { ruleMeta, scanEachFile } from "../rule.js";
import { analyzeDockerfile } from "./analyze.js";
import { DOCKERFILE_RULES } from "./rules/index.js";

/**
 * Dockerfiles and Containerfiles: `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`,
 * `Containerfile` (any case). Per-Dockerfile ignore files (`Dockerfile.dockerignore`) are not.
 */
export function isDockerfile(path: string): boolean {
  const name = (path.split("/").pop() ?? "").toLowerCase();
  if (name.endsWith(".dockerignore")) return false;
  return (
    name === "dockerfile" ||
    name === "containerfile" ||
    name.startsWith("dockerfile.") ||
    name.startsWith("containerfile.") ||
    name.endsWith(".dockerfile") ||
    name.endsWith(".containerfile")
  );
}

export const dockerfileScanner: FrameworkScanner = {
  framework: "dockerfile",
  rules: DOCKERFILE_RULES.map(ruleMeta),
  claims: (file: SourceFile) => isDockerfile(file.path),
  scan(files, context) {
    return Promise.resolve(scanEachFile(files, "Dockerfile", (file) => analyzeDockerfile(file, context)));
  },
};
