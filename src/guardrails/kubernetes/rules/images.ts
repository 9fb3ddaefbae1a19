/** Which image a container runs, and whether that is reproducible. */
import { hasDigest, isFloating, parseImageReference } from "../../image-ref.js";
import { at, pairOf, reportSpan, str } from "../yaml-tree.js";
import { containerReport, defineRule, forEachContainer, type K8sRule } from "./common.js";

/** Image strings still holding a placeholder (`$(IMAGE)`, `${TAG}`) are filled in later. */
const PLACEHOLDER = /\$[({]|\{\{/;

const latestTag = defineRule(
  {
    id: "K8S-014",
    title: "Container image uses the latest tag or no tag",
    severity: "medium",
    rationale:
      "`latest` (also what no tag means) moves with every push: nodes run different code depending on when they pulled, rollbacks do not roll back, and a compromised push reaches production unreviewed.",
    remediation:
      "Pin a version tag (`app:1.4.2`), better a digest (`app@sha256:...`), and update it through a reviewed change.",
    references: [
      "https://kubernetes.io/docs/concepts/containers/images/#image-names",
      "https://kubernetes.io/docs/concepts/configuration/overview/#container-images",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const pair = pairOf(container.node, "image");
      const reference = str(pair?.value);
      if (!pair || reference === undefined || PLACEHOLDER.test(reference)) return;
      const image = parseImageReference(reference);
      if (isFloating(image))
        report(
          containerReport(
            workload,
            container,
            image.tag
              ? `image ${reference} uses the latest tag`
              : `image ${reference} has no tag (means latest)`,
            reportSpan(pair),
          ),
        );
    }),
);

const digest = defineRule(
  {
    id: "K8S-015",
    title: "Container image is not pinned by digest",
    severity: "low",
    rationale:
      "Tags are mutable: whoever can push to the registry can change what `app:1.4.2` runs. A digest names exactly the image that was reviewed and scanned.",
    remediation:
      "Reference the image by digest (`app:1.4.2@sha256:...`); tools like Renovate keep digests up to date.",
    references: [
      "https://kubernetes.io/docs/concepts/containers/images/#image-names",
      "https://slsa.dev/spec/v1.0/requirements",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const pair = pairOf(container.node, "image");
      const reference = str(pair?.value);
      if (!pair || reference === undefined || PLACEHOLDER.test(reference)) return;
      if (!hasDigest(parseImageReference(reference)))
        report(
          containerReport(
            workload,
            container,
            `image ${reference} is not pinned by digest`,
            reportSpan(pair),
          ),
        );
    }),
);

const pullPolicy = defineRule(
  {
    id: "K8S-016",
    title: "Floating image tag is not always pulled",
    severity: "low",
    rationale:
      "With a latest (or missing) tag and imagePullPolicy IfNotPresent or Never, each node keeps whatever image it pulled first: pods of one Deployment run different code. (Left unset, Kubernetes defaults to Always for such tags, which is why only an explicit policy is reported.)",
    remediation: "Pin the image by version or digest; otherwise set `imagePullPolicy: Always`.",
    references: ["https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting"],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const reference = str(at(container.node, "image"));
      const policy = pairOf(container.node, "imagePullPolicy");
      if (reference === undefined || PLACEHOLDER.test(reference) || !policy) return;
      const value = str(policy.value);
      if (isFloating(parseImageReference(reference)) && value !== undefined && value !== "Always")
        report(
          containerReport(
            workload,
            container,
            `image ${reference} floats but imagePullPolicy is ${value}`,
            reportSpan(policy),
          ),
        );
    }),
);

export const imageRules: readonly K8sRule[] = [latestTag, digest, pullPolicy];
