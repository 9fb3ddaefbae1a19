import { child, stringValue } from "../../github-actions/yaml-tree.js";
import { CI_YAML, gitlabRule } from "./define.js";

export const insecureRemoteInclude = gitlabRule({
  id: "GITLAB-008",
  title: "Remote include is fetched over plain HTTP",
  severity: "high",
  rationale:
    "Anyone on the network path between GitLab and the server (or who controls DNS) can replace an http:// include with jobs of their own, which then run with the project's variables and token.",
  remediation:
    "Use an https:// URL with `integrity:`, or better, include from a project in the same GitLab instance pinned to a tag or commit.",
  references: [CI_YAML + "#includeremote", "https://docs.gitlab.com/ci/pipeline_security/"],
  check(pipeline, report) {
    for (const include of pipeline.includes)
      if (include.kind === "remote" && /^http:\/\//i.test(include.value))
        report({
          message: `include ${include.value} is downloaded without TLS`,
          span: include.span,
          resource: "include",
        });
  },
});

export const remoteIncludeWithoutIntegrity = gitlabRule({
  id: "GITLAB-009",
  title: "Remote include has no integrity hash",
  severity: "medium",
  rationale:
    "A remote include is fetched at every pipeline run: whoever controls that URL can change the jobs of this project at any time, and they run with its variables and token.",
  remediation:
    "Add `integrity: sha256-<base64 digest>` to the include (GitLab 17.9+), or copy the file into the repository.",
  references: [CI_YAML + "#includeintegrity", CI_YAML + "#includeremote"],
  check(pipeline, report) {
    for (const include of pipeline.includes) {
      if (include.kind !== "remote" || !/^https:\/\//i.test(include.value)) continue;
      if (stringValue(child(include.node, "integrity"))) continue;
      report({
        message: `include ${include.value} is not checked against an integrity hash`,
        span: include.span,
        resource: "include",
      });
    }
  },
});
