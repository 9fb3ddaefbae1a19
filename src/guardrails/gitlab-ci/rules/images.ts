import type { Reporter } from "../../model.js";
import { hasDigest, isFloating, parseImageReference } from "../../image-ref.js";
import { child, isYMap, isYSeq, stringValue, type YNode } from "../../github-actions/yaml-tree.js";
import { sites, siteValue, type GitlabPipeline, type Site } from "../model.js";
import { expandVariables } from "../untrusted.js";
import { CI_YAML, gitlabRule, variableLookup } from "./define.js";

interface ImageUse {
  site: Site;
  /** `image` or `services`. */
  key: string;
  written: string;
  expanded: string;
  node: YNode;
}

/** Images as written at each site: `image: x`, `image: { name: x }`, `services: [x, { name: y }]`. */
function imageUses(pipeline: GitlabPipeline): ImageUse[] {
  const out: ImageUse[] = [];
  for (const site of sites(pipeline)) {
    const lookup = variableLookup(pipeline, site);
    const add = (key: string, node: YNode | undefined): void => {
      const nameNode = isYMap(node) ? child(node, "name") : node;
      const written = stringValue(nameNode);
      if (written === undefined || !nameNode) return;
      // Variables without a value in the file ($CI_REGISTRY_IMAGE…) leave the image unknown.
      const expanded = expandVariables(written, (name) => lookup(name)?.value);
      if (expanded === undefined || expanded.trim() === "") return;
      out.push({ site, key, written, expanded, node: nameNode });
    };
    add("image", siteValue(site, "image")?.value);
    const services = siteValue(site, "services")?.value;
    if (isYSeq(services)) for (const item of services.items) add("services", item);
  }
  return out;
}

function describe(use: ImageUse): string {
  return use.written === use.expanded ? use.written : `${use.written} (${use.expanded})`;
}

function reportImage(pipeline: GitlabPipeline, use: ImageUse, report: Reporter, message: string): void {
  report({ message, span: pipeline.spanOf(use.node), resource: use.site.name, enclosing: [use.site.span] });
}

export const floatingImage = gitlabRule({
  id: "GITLAB-003",
  title: "Job image uses the latest tag or no tag",
  severity: "medium",
  rationale:
    "An image without a tag is `latest`, which its publisher replaces at will: the pipeline runs different tools from one day to the next, and a compromised or broken release runs with the job's token and variables.",
  remediation: "Name a version tag (`node:20.11-bookworm`), ideally with its digest.",
  references: [CI_YAML + "#image", "https://docs.gitlab.com/ci/docker/using_docker_images/"],
  check(pipeline, report) {
    for (const use of imageUses(pipeline)) {
      const reference = parseImageReference(use.expanded);
      if (!isFloating(reference)) continue;
      reportImage(
        pipeline,
        use,
        report,
        `${use.key === "image" ? "image" : "service"} ${describe(use)} ${reference.tag ? "follows `latest`" : "has no tag, which means `latest`"}`,
      );
    }
  },
});

export const imageWithoutDigest = gitlabRule({
  id: "GITLAB-004",
  title: "Job image or service is not pinned by digest",
  severity: "low",
  rationale:
    "Tags can be pushed again: a registry compromise or a re-tagged image changes what the job runs, with its CI_JOB_TOKEN and variables, without any change to the repository.",
  remediation: "Append the digest: `image: node:20.11-bookworm@sha256:…`; Renovate keeps it up to date.",
  references: [
    CI_YAML + "#image",
    "https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry",
  ],
  check(pipeline, report) {
    for (const use of imageUses(pipeline)) {
      const reference = parseImageReference(use.expanded);
      if (isFloating(reference) || hasDigest(reference)) continue;
      reportImage(
        pipeline,
        use,
        report,
        `${use.key === "image" ? "image" : "service"} ${describe(use)} is pinned to a tag, not a digest`,
      );
    }
  },
});
