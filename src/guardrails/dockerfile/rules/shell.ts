import { scriptSpan } from "../model.js";
import { findRemoteExecutions } from "../remote-script.js";
import { invocation, pipelines, positionals, type ShellCommand } from "../shell.js";
import { commandsOf, dockerfileRule, hadolint, reportCommand, REFERENCE } from "./define.js";

export const remoteScript = dockerfileRule({
  id: "DOCKER-007",
  title: "A downloaded script is piped into a shell",
  severity: "high",
  rationale:
    "`curl … | sh` runs whatever the server sends at build time, unverified: a compromised download site, DNS or proxy controls the image, and the build is not reproducible.",
  remediation:
    "Download to a file, verify its checksum or signature (`sha256sum -c`), then run it; or install the tool from a package manager or a pinned image.",
  references: [
    hadolint("DL4006"),
    "https://docs.docker.com/build/building/best-practices/#run",
    "CIS Docker Benchmark 4.2",
  ],
  check(model, report) {
    for (const stage of model.stages)
      for (const run of stage.runs)
        for (const script of run.scripts)
          for (const found of findRemoteExecutions(script.script))
            report({
              message: `${found.description} runs a script fetched over the network without verifying it`,
              span: scriptSpan(model.parsed, script, found.start, found.end),
              resource: stage.label,
            });
  },
});

export const sudo = dockerfileRule({
  id: "DOCKER-013",
  title: "sudo is used in RUN",
  severity: "medium",
  rationale:
    "RUN already runs as the current USER; sudo in an image means a sudo binary and a sudoers entry ship too, so an attacker in the container can become root. Its TTY and signal handling also behave unpredictably in builds.",
  remediation:
    "Switch with `USER root` for the privileged steps and back to the unprivileged user after them; remove sudo from the image.",
  references: [hadolint("DL3004"), REFERENCE + "#user"],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      const first = located.command.words[0];
      if (first?.value === "sudo" || first?.value.endsWith("/sudo"))
        reportCommand(model, located, report, "sudo in RUN: use USER instead", first);
    }
  },
});

/** Octal modes whose "others" digit has the write bit, and symbolic modes granting o or a write. */
const OCTAL_WORLD_WRITABLE = /^0?[0-7]?[0-7]{2}[2367]$/;
const SYMBOLIC_WORLD_WRITABLE = /^[ugoa]*[oa][ugoa]*[+=][rwxXst]*w[rwxXst]*$/;

function worldWritable(mode: string): boolean {
  // 1777 (sticky, like /tmp) lets everyone create files but not replace others' files.
  if (/^0?1[0-7]{3}$/.test(mode)) return false;
  return (
    OCTAL_WORLD_WRITABLE.test(mode) || mode.split(",").some((part) => SYMBOLIC_WORLD_WRITABLE.test(part))
  );
}

export const chmod777 = dockerfileRule({
  id: "DOCKER-014",
  title: "Files are made world-writable with chmod 777",
  severity: "medium",
  rationale:
    "World-writable files and directories let any process in the container, whatever its user, replace binaries, configuration or scripts that others run.",
  remediation:
    "Give ownership to the user that needs to write (`chown app`), and use 755/644 (or 775 for a shared group).",
  references: ["https://cwe.mitre.org/data/definitions/732.html", REFERENCE + "#copy---chown---chmod"],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      const call = located.call;
      if (call?.program !== "chmod") continue;
      const mode = positionals(call.args).find((w) => worldWritable(w.value));
      if (mode)
        reportCommand(model, located, report, `chmod ${mode.value} makes files writable by every user`, mode);
    }
    for (const stage of model.stages)
      for (const instruction of stage.instructions) {
        const chmod = instruction.flags.find((f) => f.name === "chmod");
        if (
          (instruction.keyword === "COPY" || instruction.keyword === "ADD") &&
          chmod &&
          worldWritable(chmod.value ?? "")
        )
          report({
            message: `--chmod=${chmod.value ?? ""} makes the copied files writable by every user`,
            span: chmod.span,
            resource: stage.label,
          });
      }
  },
});

export const cdInRun = dockerfileRule({
  id: "DOCKER-023",
  title: "cd in RUN instead of WORKDIR",
  severity: "low",
  rationale:
    "A `cd` lasts for one RUN only, so the next instruction silently runs elsewhere; WORKDIR states the directory once for every later instruction and for the container.",
  remediation: "Use `WORKDIR /path` before the RUN (WORKDIR creates the directory).",
  references: [hadolint("DL3003"), REFERENCE + "#workdir"],
  check(model, report) {
    for (const located of commandsOf(model.stages)) {
      if (located.command.nested || located.call?.program !== "cd") continue;
      reportCommand(
        model,
        located,
        report,
        `cd ${located.call.args.map((a) => a.value).join(" ")} only lasts for this RUN: use WORKDIR`,
      );
    }
  },
});

/** `set -o pipefail`, `set -euo pipefail`, `set -eo pipefail`. */
function setsPipefail(command: ShellCommand): boolean {
  const call = invocation(command);
  return (
    call?.program === "set" &&
    call.args.some((a) => a.value === "pipefail") &&
    call.args.some((a) => /^-[a-z]*o$/.test(a.value))
  );
}

function shellHasPipefail(shell: readonly string[]): boolean {
  return shell.some((arg, i) => arg === "pipefail" && /^-[a-z]*o$/.test(shell[i - 1] ?? ""));
}

/** Commands that cannot fail, so a pipe from them hides nothing. */
const CANNOT_FAIL = new Set(["echo", "printf", "true", "yes"]);

export const missingPipefail = dockerfileRule({
  id: "DOCKER-024",
  title: "A pipe in RUN without pipefail",
  severity: "low",
  rationale:
    "A pipeline's status is its last command's: in `curl … | tar x`, a failed download still leaves tar's success, so the build goes on with a broken or empty layer.",
  remediation:
    'Set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (`/bin/ash` on Alpine) before the RUN, or start the script with `set -o pipefail`.',
  references: [hadolint("DL4006"), REFERENCE + "#shell"],
  check(model, report) {
    for (const stage of model.stages)
      for (const run of stage.runs) {
        if (shellHasPipefail(stage.shells.get(run.instruction) ?? [])) continue;
        for (const script of run.scripts) {
          const lines = pipelines(script.script);
          for (const pipeline of lines) {
            const first = pipeline[0];
            if (pipeline.length < 2 || !first) continue;
            const guarded = script.script.commands.some((c) => c.start < first.start && setsPipefail(c));
            if (guarded) continue;
            if (pipeline.slice(0, -1).every((c) => CANNOT_FAIL.has(invocation(c)?.program ?? ""))) continue;
            const last = pipeline[pipeline.length - 1];
            report({
              message: "only the last command of this pipe decides whether the RUN fails",
              span: scriptSpan(model.parsed, script, first.start, last?.end ?? first.end),
              resource: stage.label,
            });
          }
        }
      }
  },
});
