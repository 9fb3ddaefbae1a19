import { hasDigest, isFloating, parseImageReference } from "../../image-ref.js";
import type { DockerfileModel, Stage } from "../model.js";
import { flag } from "../model.js";
import type { Instruction } from "../parser.js";
import { expand } from "../variables.js";
import { BEST_PRACTICES, dockerfileRule, hadolint, REFERENCE } from "./define.js";

/** A reference to another image or stage in `COPY --from` or `RUN --mount=from=`. */
interface FromReference {
  stage: Stage;
  instruction: Instruction;
  value: string;
  unknown: boolean;
}

function fromReferences(model: DockerfileModel): FromReference[] {
  const out: FromReference[] = [];
  for (const stage of model.stages)
    for (const instruction of stage.instructions) {
      const scope = stage.scopes.get(instruction) ?? new Map();
      const values: string[] = [];
      if (instruction.keyword === "COPY" || instruction.keyword === "ADD") {
        const from = flag(instruction, "from")?.value;
        if (from !== undefined) values.push(from);
      }
      if (instruction.keyword === "RUN")
        for (const mount of instruction.flags.filter((f) => f.name === "mount")) {
          const from = /(?:^|,)from=([^,]+)/.exec(mount.value ?? "")?.[1];
          if (from) values.push(from);
        }
      for (const value of values) {
        const expanded = expand(value, scope, model.parsed.escape);
        out.push({ stage, instruction, value: expanded.value, unknown: expanded.unknown });
      }
    }
  return out;
}

function fromFlagSpan(instruction: Instruction) {
  const f = instruction.flags.find(
    (x) => x.name === "from" || (x.name === "mount" && /(?:^|,)from=/.test(x.value ?? "")),
  );
  return f?.span ?? instruction.keywordSpan;
}

/** `--from=` names an image (not a stage) when it has a tag, digest, registry or path. */
function isImageReference(value: string): boolean {
  return /[:/@.]/.test(value);
}

export const floatingBaseImage = dockerfileRule({
  id: "DOCKER-001",
  title: "Base image uses the latest tag or no tag",
  severity: "medium",
  rationale:
    "An image without a tag is `latest`, which moves whenever the publisher pushes: the same Dockerfile builds a different system from one day to the next, and a compromised or broken release is picked up silently.",
  remediation: "Name a specific version tag (`node:20.11-bookworm-slim`), ideally with its digest.",
  references: [hadolint("DL3006"), hadolint("DL3007"), BEST_PRACTICES, "CIS Docker Benchmark 4.2"],
  check(model, report) {
    for (const stage of model.stages) {
      const image = stage.image;
      if (!image || image.unknown || image.reference.name.toLowerCase() === "scratch") continue;
      if (!isFloating(image.reference)) continue;
      report({
        message:
          image.reference.tag === undefined
            ? `FROM ${image.expanded} has no tag, so it builds from whatever \`latest\` is today`
            : `FROM ${image.expanded} follows \`latest\`, which changes without notice`,
        span: image.span,
        resource: stage.label,
        provenance: image.provenance,
      });
    }
    for (const ref of fromReferences(model)) {
      if (ref.unknown || !isImageReference(ref.value) || model.stages.some((s) => s.name === ref.value))
        continue;
      const reference = parseImageReference(ref.value);
      if (!isFloating(reference)) continue;
      report({
        message: `${ref.instruction.keyword} --from=${ref.value} copies from an image that follows \`latest\``,
        span: fromFlagSpan(ref.instruction),
        resource: ref.stage.label,
      });
    }
  },
});

export const baseImageWithoutDigest = dockerfileRule({
  id: "DOCKER-002",
  title: "Base image is not pinned by digest",
  severity: "low",
  rationale:
    "Tags are mutable: a registry account takeover or a re-pushed tag changes what `FROM node:20` means. Only a digest names exactly the image that was reviewed, and rebuilds are then reproducible.",
  remediation:
    "Append the digest: `FROM node:20.11-bookworm-slim@sha256:…` (`docker buildx imagetools inspect` prints it); let Renovate or Dependabot update it.",
  references: [
    "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",
    REFERENCE + "#from",
    "CIS Docker Benchmark 4.2",
  ],
  check(model, report) {
    for (const stage of model.stages) {
      const image = stage.image;
      if (!image || image.unknown || image.reference.name.toLowerCase() === "scratch") continue;
      // No tag or `latest` is DOCKER-001; this rule is about a good tag without a digest.
      if (isFloating(image.reference) || hasDigest(image.reference)) continue;
      report({
        message: `FROM ${image.expanded} is pinned to a tag, not a digest`,
        span: image.span,
        resource: stage.label,
        provenance: image.provenance,
      });
    }
  },
});

export const undefinedStage = dockerfileRule({
  id: "DOCKER-027",
  title: "COPY --from names a stage that is not defined before it",
  severity: "high",
  rationale:
    "When `--from` does not match an earlier stage, Docker takes it as an image name and pulls it from Docker Hub: a typo in a stage name silently copies files out of whatever image someone published under that name.",
  remediation:
    "Use the name given with `FROM … AS <name>` in an earlier stage, or a full image reference with a tag and digest.",
  references: [REFERENCE + "#copy---from", hadolint("DL3022"), hadolint("DL3023")],
  check(model, report) {
    for (const ref of fromReferences(model)) {
      if (ref.unknown) continue;
      const value = ref.value;
      const span = fromFlagSpan(ref.instruction);
      if (/^\d+$/.test(value)) {
        const index = Number(value);
        if (index < ref.stage.index) continue;
        report({
          message:
            index === ref.stage.index
              ? `${ref.instruction.keyword} --from=${value} refers to the stage it is in`
              : `${ref.instruction.keyword} --from=${value}: there is no stage ${value} before this one`,
          span,
          resource: ref.stage.label,
        });
        continue;
      }
      if (isImageReference(value)) continue;
      const target = model.stages.find((s) => s.name?.toLowerCase() === value.toLowerCase());
      if (target && target.index < ref.stage.index) continue;
      report({
        message: target
          ? `${ref.instruction.keyword} --from=${value}: stage ${value} is defined after this line, so Docker pulls an image named ${value} instead`
          : `${ref.instruction.keyword} --from=${value}: no stage is named ${value}, so Docker pulls the image ${value}:latest from Docker Hub`,
        span,
        resource: ref.stage.label,
      });
    }
  },
});
