import type { DockerfileModel, Stage } from "../model.js";
import { lineage, wordSpan } from "../model.js";
import { splitWords, type Instruction } from "../parser.js";
import { expand } from "../variables.js";
import { BEST_PRACTICES, dockerfileRule, hadolint, REFERENCE, shippedStages } from "./define.js";

/** The last instruction of a kind in the final image: in the final stage or the stages it is built from. */
function effective(
  model: DockerfileModel,
  keyword: string,
): { stage: Stage; instruction: Instruction } | undefined {
  if (!model.final) return undefined;
  for (const stage of lineage(model.final)) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).pop();
    if (found) return { stage, instruction: found };
  }
  return undefined;
}

/** Images whose default user is not root, so a missing USER is not a root container. */
function defaultsToNonRoot(stage: Stage): boolean {
  const root = lineage(stage).pop();
  const image = root?.image;
  if (!image || image.unknown) return true;
  return (
    /(^|[-_.:])nonroot([-_.]|$)/i.test(image.reference.tag ?? "") || /nonroot/i.test(image.reference.name)
  );
}

export const runsAsRoot = dockerfileRule({
  id: "DOCKER-003",
  title: "The final stage runs as root",
  severity: "medium",
  rationale:
    "Without a USER, the container's process runs as root: a remote code execution in the application is root in the container, one kernel or runtime bug away from the host, and it can rewrite the application's own files. Builder stages may run as root; only the stage that ships matters.",
  remediation:
    "Create an unprivileged user and switch to it in the final stage (`RUN useradd --uid 10001 app` then `USER 10001`), or use an image that already has one (`node` user, distroless `:nonroot`).",
  references: [hadolint("DL3002"), REFERENCE + "#user", "CIS Docker Benchmark 4.1"],
  check(model, report) {
    const final = model.final;
    if (!final) return;
    const user = effective(model, "USER");
    if (user) {
      const scope = user.stage.scopes.get(user.instruction) ?? new Map();
      const value = expand(user.instruction.args, scope, model.parsed.escape);
      if (value.unknown) return;
      const name = value.value.trim().split(":")[0]?.trim() ?? "";
      if (name !== "root" && name !== "0") return;
      report({
        message: `USER ${value.value.trim()} makes the final image run as root`,
        span: user.instruction.span,
        resource: final.label,
        provenance:
          user.stage === final
            ? value.provenance
            : [
                { description: `USER set in stage ${user.stage.label}`, span: user.instruction.span },
                ...value.provenance,
              ],
      });
      return;
    }
    if (defaultsToNonRoot(final)) return;
    report({
      message: "the final stage never sets USER, so the container runs as root",
      span: final.from.span,
      resource: final.label,
    });
  },
});

export const missingHealthcheck = dockerfileRule({
  id: "DOCKER-015",
  title: "The final image has no HEALTHCHECK",
  severity: "low",
  rationale:
    "Without a HEALTHCHECK, Docker and Swarm only know whether the process exists, not whether it answers: a hung server keeps receiving traffic and is never restarted.",
  remediation:
    'Add `HEALTHCHECK CMD ["/app/healthcheck"]` (or a curl of the health endpoint) to the final stage; write `HEALTHCHECK NONE` when the orchestrator probes the container itself.',
  references: [REFERENCE + "#healthcheck", "CIS Docker Benchmark 4.6"],
  check(model, report) {
    const final = model.final;
    if (!final || effective(model, "HEALTHCHECK")) return;
    report({
      message: "the final stage has no HEALTHCHECK",
      span: final.from.span,
      resource: final.label,
    });
  },
});

export const exposesSsh = dockerfileRule({
  id: "DOCKER-016",
  title: "The image exposes the SSH port 22",
  severity: "medium",
  rationale:
    "An SSH server in a container is a second way in with its own credentials to leak and patch; containers are entered with `docker exec` or `kubectl exec`, which need no open port.",
  remediation: "Remove `EXPOSE 22` and the SSH server; use `docker exec`/`kubectl exec` for debugging.",
  references: [REFERENCE + "#expose", "https://docs.docker.com/engine/containers/run/"],
  check(model, report) {
    for (const stage of shippedStages(model))
      for (const instruction of stage.instructions) {
        if (instruction.keyword !== "EXPOSE") continue;
        const scope = stage.scopes.get(instruction) ?? new Map();
        for (const word of splitWords(instruction.text.text, instruction.argsStart)) {
          const port = expand(word.value, scope, model.parsed.escape);
          if (port.unknown) continue;
          const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(port.value);
          if (!match || match[3]?.toLowerCase() === "udp") continue;
          const low = Number(match[1]);
          const high = match[2] ? Number(match[2]) : low;
          if (low <= 22 && 22 <= high)
            report({
              message: `EXPOSE ${port.value} opens the SSH port`,
              span: wordSpan(model.parsed, instruction, word),
              resource: stage.label,
            });
        }
      }
  },
});

export const repeatedCommand = dockerfileRule({
  id: "DOCKER-019",
  title: "A stage has several CMD or ENTRYPOINT instructions",
  severity: "low",
  rationale:
    "Only the last CMD and the last ENTRYPOINT of a stage take effect; the earlier ones are dead code that readers take for what the container runs.",
  remediation: "Keep one CMD and at most one ENTRYPOINT per stage, at the end.",
  references: [hadolint("DL4003"), hadolint("DL4004"), REFERENCE + "#cmd"],
  check(model, report) {
    for (const stage of model.stages)
      for (const keyword of ["CMD", "ENTRYPOINT"]) {
        const all = stage.instructions.filter((i) => i.keyword === keyword);
        const last = all[all.length - 1];
        for (const instruction of all.slice(0, -1))
          report({
            message: `this ${keyword} is overridden by the ${keyword} on line ${last?.span.line ?? 0}`,
            span: instruction.span,
            resource: stage.label,
          });
      }
  },
});

export const shellFormCommand = dockerfileRule({
  id: "DOCKER-020",
  title: "CMD or ENTRYPOINT uses the shell form",
  severity: "low",
  rationale:
    "The shell form runs the command under `/bin/sh -c`, which becomes PID 1 and does not forward SIGTERM: `docker stop` and Kubernetes wait out the grace period and then kill the process, so in-flight requests are cut instead of drained.",
  remediation: 'Use the exec form: `CMD ["node", "server.js"]`, or start the shell form with `exec`.',
  references: [hadolint("DL3025"), REFERENCE + "#shell-and-exec-form", BEST_PRACTICES + "#entrypoint"],
  check(model, report) {
    for (const keyword of ["ENTRYPOINT", "CMD"]) {
      const found = effective(model, keyword);
      if (!found || found.instruction.exec || /^exec\s/.test(found.instruction.args.trim())) continue;
      report({
        message: `${keyword} ${found.instruction.args.trim()} runs under /bin/sh -c, which does not pass signals on`,
        span: found.instruction.span,
        resource: model.final?.label,
      });
    }
  },
});
