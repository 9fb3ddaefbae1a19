import { copyArguments, flag, wordSpan } from "../model.js";
import type { LocatedCommand } from "../model.js";
import { positionals } from "../shell.js";
import { expand } from "../variables.js";
import { BEST_PRACTICES, dockerfileRule, hadolint, REFERENCE } from "./define.js";

const URL = /^[a-z][a-z0-9+.-]*:\/\//i;
const GIT_SOURCE = /^git@|\.git(#.*)?$|^[a-z]+:\/\/[^#]*\.git(#|$)/i;
/** ADD unpacks local archives, which COPY does not: the one reason to ADD a local file. */
const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$/i;

export const addLocalFiles = dockerfileRule({
  id: "DOCKER-004",
  title: "ADD is used to copy local files",
  severity: "low",
  rationale:
    "ADD also downloads URLs and unpacks archives, so a file that later becomes a tarball is silently extracted into the image. COPY does only what it says, which is what reviewers expect.",
  remediation: "Use COPY for local files; keep ADD for local archives that must be unpacked.",
  references: [hadolint("DL3020"), BEST_PRACTICES + "#add-or-copy", "CIS Docker Benchmark 4.9"],
  check(model, report) {
    for (const stage of model.stages)
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== "ADD" || instruction.heredocs.length > 0) continue;
        const { sources } = copyArguments(instruction);
        const local = sources.filter(
          (s) => !URL.test(s.value) && !GIT_SOURCE.test(s.value) && !ARCHIVE.test(s.value),
        );
        if (local.length === 0 || local.length !== sources.length) continue;
        report({
          message: `ADD ${local.map((s) => s.value).join(" ")} copies local files: use COPY`,
          span: instruction.keywordSpan,
          resource: stage.label,
        });
      }
  },
});

export const addRemoteWithoutChecksum = dockerfileRule({
  id: "DOCKER-005",
  title: "ADD downloads a URL without --checksum",
  severity: "medium",
  rationale:
    "ADD of an http(s) URL puts whatever the server returns into the image, unverified: a compromised download server or mirror ends up in every build.",
  remediation:
    "Add `--checksum=sha256:<digest>` (Dockerfile syntax 1.6+), or download in a RUN with curl and verify with `sha256sum -c`.",
  references: [REFERENCE + "#add---checksum", hadolint("DL3020"), "CIS Docker Benchmark 4.9"],
  check(model, report) {
    for (const stage of model.stages)
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== "ADD" || flag(instruction, "checksum")) continue;
        for (const source of copyArguments(instruction).sources) {
          if (!/^https?:\/\//i.test(source.value) || GIT_SOURCE.test(source.value)) continue;
          report({
            message: `ADD ${source.value} is not verified with --checksum`,
            span: wordSpan(model.parsed, instruction, source),
            resource: stage.label,
          });
        }
      }
  },
});

export const maintainer = dockerfileRule({
  id: "DOCKER-017",
  title: "MAINTAINER is deprecated",
  severity: "info",
  rationale: "MAINTAINER has been deprecated since Docker 1.13; tools read the OCI label instead.",
  remediation: 'Replace it with `LABEL org.opencontainers.image.authors="team@example.com"`.',
  references: [hadolint("DL4000"), REFERENCE + "#maintainer-deprecated"],
  check(model, report) {
    for (const stage of model.stages)
      for (const instruction of stage.instructions)
        if (instruction.keyword === "MAINTAINER")
          report({
            message: "MAINTAINER is deprecated: use an org.opencontainers.image.authors LABEL",
            span: instruction.span,
            resource: stage.label,
          });
  },
});

export const relativeWorkdir = dockerfileRule({
  id: "DOCKER-018",
  title: "WORKDIR uses a relative path",
  severity: "low",
  rationale:
    "A relative WORKDIR depends on every WORKDIR before it, including the base image's: changing the base image moves the application somewhere else.",
  remediation: "Use an absolute path: `WORKDIR /app`.",
  references: [hadolint("DL3000"), REFERENCE + "#workdir"],
  check(model, report) {
    for (const stage of model.stages)
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== "WORKDIR") continue;
        const scope = stage.scopes.get(instruction) ?? new Map();
        const path = expand(
          instruction.args.trim().replace(/^(["'])(.*)\1$/, "$2"),
          scope,
          model.parsed.escape,
        );
        if (
          path.unknown ||
          path.value === "" ||
          path.value.startsWith("/") ||
          /^[A-Za-z]:[\\/]/.test(path.value)
        )
          continue;
        report({
          message: `WORKDIR ${path.value} is relative to the previous working directory`,
          span: instruction.span,
          resource: stage.label,
          provenance: path.provenance,
        });
      }
  },
});

export const chownRoot = dockerfileRule({
  id: "DOCKER-021",
  title: "COPY --chown gives the files to root explicitly",
  severity: "info",
  rationale:
    "Copied files already belong to root (0:0); `--chown=root` changes nothing and usually shows the ownership was meant for the runtime user, or that the image is expected to run as root.",
  remediation:
    "Drop `--chown=root:root`; if the application must write the files, chown them to its own unprivileged user instead.",
  references: [REFERENCE + "#copy---chown---chmod"],
  check(model, report) {
    for (const stage of model.stages)
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== "COPY" && instruction.keyword !== "ADD") continue;
        const chown = flag(instruction, "chown");
        const owner = chown?.value?.split(":")[0];
        if (!chown || (owner !== "root" && owner !== "0")) continue;
        report({
          message: `--chown=${chown.value ?? ""} sets the owner COPY already uses`,
          span: chown.span,
          resource: stage.label,
        });
      }
  },
});

/** Commands that install dependencies from a manifest or lockfile. */
function installsDependencies(located: LocatedCommand): boolean {
  const call = located.call;
  if (!call) return false;
  const args = positionals(call.args).map((w) => w.value);
  const sub = args[0];
  switch (call.program) {
    case "npm":
      return sub === "ci" || ((sub === "install" || sub === "i") && args.length === 1);
    case "yarn":
      return sub === undefined || sub === "install";
    case "pnpm":
    case "bun":
      return sub === "install" || sub === "i";
    case "pip":
    case "pip3":
      return (
        sub === "install" && call.args.some((w) => w.value === "-r" || w.value.startsWith("--requirement"))
      );
    case "poetry":
    case "pipenv":
    case "bundle":
    case "composer":
      return sub === "install";
    case "uv":
      return sub === "sync";
    case "go":
      return sub === "mod" && args[1] === "download";
    case "cargo":
      return sub === "fetch";
    default:
      return false;
  }
}

export const contextCopiedBeforeInstall = dockerfileRule({
  id: "DOCKER-022",
  title: "The whole build context is copied before dependencies are installed",
  severity: "info",
  rationale:
    "Layers are cached until one of their inputs changes. After `COPY . .`, any edit to any file re-runs the dependency install, so every build downloads every package again (more time, and more exposure to a registry outage or a compromised release).",
  remediation:
    "Copy the manifests first and install (`COPY package.json package-lock.json ./` then `RUN npm ci`), then `COPY . .`.",
  references: [BEST_PRACTICES + "#leverage-build-cache", "https://docs.docker.com/build/cache/"],
  check(model, report) {
    for (const stage of model.stages) {
      let wholeContext: (typeof stage.instructions)[number] | undefined;
      let installedBefore = false;
      for (const instruction of stage.instructions) {
        if (instruction.keyword === "RUN") {
          const installs =
            stage.runs.find((r) => r.instruction === instruction)?.commands.some(installsDependencies) ??
            false;
          if (!installs) continue;
          if (!wholeContext) {
            installedBefore = true;
            continue;
          }
          if (!installedBefore)
            report({
              message: `COPY of the whole context (line ${wholeContext.span.line}) comes before the dependency install on line ${instruction.span.line}: any change re-installs everything`,
              span: wholeContext.span,
              resource: stage.label,
            });
          break;
        }
        if (
          (instruction.keyword === "COPY" || instruction.keyword === "ADD") &&
          !flag(instruction, "from") &&
          !wholeContext
        ) {
          const { sources } = copyArguments(instruction);
          if (sources.some((s) => s.value === "." || s.value === "./")) wholeContext = instruction;
        }
      }
    }
  },
});
