import type { GenericResource } from "../model.js";
import { keyValues, lineage, wordSpan, type DockerfileModel, type Stage } from "./model.js";
import { splitWords } from "./parser.js";
import { objectResource, type FieldOrigin } from "./resource.js";
import { expand } from "./variables.js";

/**
 * Each stage as a `dockerfile-stage` resource for declarative rules. Fields: `name`, `index`,
 * `final`, `shipped`, `image` (`reference`, `name`, `tag`, `digest`), `base` (the stage it is
 * built from), `user` (effective, inherited from base stages), `healthcheck`, `expose`, `env.*`,
 * `args.*`, `labels.*`, `workdir`, `cmd`, `entrypoint`, `shell`, `instructions` (keywords, in
 * order) and `run` (each RUN's script text).
 */
export function stageResources(model: DockerfileModel): GenericResource[] {
  return model.stages.map((stage) => stageResource(model, stage));
}

function stageResource(model: DockerfileModel, stage: Stage): GenericResource {
  const origins = new Map<string, FieldOrigin>();
  const env: Record<string, string> = {};
  const args: Record<string, string | null> = {};
  const labels: Record<string, string> = {};
  const expose: string[] = [];
  const run: string[] = [];
  let workdir: string | null = null;
  let cmd: string | string[] | null = null;
  let entrypoint: string | string[] | null = null;
  const escape = model.parsed.escape;

  for (const instruction of stage.instructions) {
    const scope = stage.scopes.get(instruction) ?? new Map();
    switch (instruction.keyword) {
      case "ENV":
      case "LABEL":
        for (const pair of keyValues(instruction)) {
          const target = instruction.keyword === "ENV" ? env : labels;
          target[pair.key] = expand(pair.value, scope, escape).value;
          origins.set(`${instruction.keyword === "ENV" ? "env" : "labels"}.${pair.key}`, {
            span: wordSpan(model.parsed, instruction, pair.word),
          });
        }
        break;
      case "ARG":
        for (const word of splitWords(instruction.text.text, instruction.argsStart)) {
          const equals = word.value.indexOf("=");
          const key = equals < 0 ? word.value : word.value.slice(0, equals);
          args[key] = equals < 0 ? null : word.value.slice(equals + 1);
          origins.set(`args.${key}`, { span: wordSpan(model.parsed, instruction, word) });
        }
        break;
      case "EXPOSE":
        for (const word of splitWords(instruction.text.text, instruction.argsStart))
          expose.push(expand(word.value, scope, escape).value);
        origins.set("expose", { span: instruction.span });
        break;
      case "WORKDIR":
        workdir = expand(instruction.args.trim(), scope, escape).value;
        origins.set("workdir", { span: instruction.span });
        break;
      case "CMD":
      case "ENTRYPOINT": {
        const value = instruction.exec ? instruction.exec.map((w) => w.value) : instruction.args.trim();
        if (instruction.keyword === "CMD") cmd = value;
        else entrypoint = value;
        origins.set(instruction.keyword.toLowerCase(), { span: instruction.span });
        break;
      }
      case "RUN":
        run.push(instruction.args);
        break;
    }
  }

  let user: string | null = null;
  let healthcheck = false;
  for (const s of lineage(stage)) {
    const userInstruction = s.instructions.filter((i) => i.keyword === "USER").pop();
    if (userInstruction && user === null) {
      user = expand(userInstruction.args.trim(), s.scopes.get(userInstruction) ?? new Map(), escape).value;
      origins.set("user", { span: userInstruction.span });
    }
    const check = s.instructions.filter((i) => i.keyword === "HEALTHCHECK").pop();
    if (check && !healthcheck) {
      healthcheck = !/^NONE\b/i.test(check.args.trim());
      origins.set("healthcheck", { span: check.span });
    }
  }
  if (stage.image) origins.set("image", { span: stage.image.span, provenance: stage.image.provenance });

  return objectResource({
    framework: "dockerfile",
    type: "dockerfile-stage",
    address: stage.label,
    span: stage.span,
    value: {
      name: stage.name ?? null,
      index: stage.index,
      final: stage === model.final,
      shipped: model.shipped.has(stage),
      image: stage.image
        ? {
            reference: stage.image.expanded,
            name: stage.image.reference.name,
            tag: stage.image.reference.tag ?? null,
            digest: stage.image.reference.digest ?? null,
          }
        : null,
      base: stage.base?.label ?? null,
      user,
      healthcheck,
      expose,
      env,
      args,
      labels,
      workdir,
      cmd,
      entrypoint,
      shell: [...stage.shell],
      instructions: stage.instructions.map((i) => i.keyword),
      run,
    },
    origins,
  });
}
