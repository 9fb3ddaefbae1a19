import type { SourceSpan } from "../../model.js";
import {
  child,
  isTrue,
  isYMap,
  isYSeq,
  pairOf,
  stringList,
  stringValue,
  type YMap,
  type YNode,
  type YPair,
} from "../../github-actions/yaml-tree.js";
import {
  environmentName,
  sites,
  siteValue,
  variableValue,
  type GitlabJob,
  type GitlabPipeline,
} from "../model.js";
import { CI_YAML, gitlabRule } from "./define.js";

/** Names GitLab's security templates give their jobs: `sast`, `semgrep-sast`, `gemnasium-dependency_scanning`… */
const SECURITY_JOB =
  /(^|[-_])(sast|dast|dependency_scanning|secret_detection|container_scanning|api_fuzzing|coverage_fuzzing|iac[-_]sast|license_scanning)$/i;

function pairSpanIn(pipeline: GitlabPipeline, pair: YPair): SourceSpan {
  const file = pipeline.files.get(pair.value.file);
  return file
    ? pipeline.spanOf({ file: file.path, start: pair.keyStart, end: pair.end })
    : pipeline.spanOf(pair.value);
}

function enclosing(job: GitlabJob): SourceSpan[] {
  return [job.entry.span];
}

export const securityScanAllowedToFail = gitlabRule({
  id: "GITLAB-006",
  title: "A security scanning job is allowed to fail",
  severity: "low",
  rationale:
    "With `allow_failure: true`, a scanner that crashes, times out or finds a critical vulnerability leaves the pipeline green: the check exists on paper only.",
  remediation:
    'Remove `allow_failure: true` from the scanning job (or use `allow_failure: exit_codes:` for the codes that mean "could not run"), and enforce results with a merge request approval policy.',
  references: [
    "https://docs.gitlab.com/user/application_security/sast/",
    CI_YAML + "#allow_failure",
    "https://docs.gitlab.com/user/application_security/policies/merge_request_approval_policies/",
  ],
  check(pipeline, report) {
    for (const job of pipeline.jobs) {
      if (!SECURITY_JOB.test(job.name)) continue;
      const pair = pairOf(job.config, "allow_failure");
      if (!pair || !isTrue(pair.value)) continue;
      report({
        message: `${job.name} may fail without failing the pipeline`,
        span: pairSpanIn(pipeline, pair),
        resource: job.name,
        enclosing: enclosing(job),
      });
    }
  },
});

function serviceNames(config: YMap): { name: string; node: YNode }[] {
  const services = child(config, "services");
  if (!isYSeq(services)) return [];
  return services.items.flatMap((item) => {
    const node = isYMap(item) ? child(item, "name") : item;
    const name = stringValue(node);
    return name !== undefined && node ? [{ name, node }] : [];
  });
}

export const dindWithoutTls = gitlabRule({
  id: "GITLAB-007",
  title: "Docker-in-Docker runs without TLS",
  severity: "medium",
  rationale:
    'The dind service runs privileged. With `DOCKER_TLS_CERTDIR: ""` (or DOCKER_HOST on port 2375) its Docker API listens unauthenticated on the job network, where other services and containers of the job, or of other jobs on a shared network, can start privileged containers on the runner.',
  remediation:
    'Keep TLS on: `DOCKER_TLS_CERTDIR: "/certs"` and `DOCKER_HOST: tcp://docker:2376`, or build without a daemon (BuildKit rootless, Kaniko, Buildah).',
  references: [
    "https://docs.gitlab.com/ci/docker/using_docker_build/#docker-in-docker-with-tls-enabled-in-the-docker-executor",
    "https://docs.docker.com/engine/security/protect-access/",
  ],
  check(pipeline, report) {
    const reported = new Set<YNode>();
    for (const job of pipeline.jobs) {
      const dind = serviceNames(job.config).find((s) =>
        /(^|\/)docker:.*dind/.test(s.name.split("@")[0] ?? ""),
      );
      if (!dind) continue;
      const variables = child(job.config, "variables");
      if (!isYMap(variables)) continue;
      for (const pair of variables.pairs) {
        const value = variableValue(pair.value);
        if (!value || reported.has(pair.value)) continue;
        const insecure =
          (pair.key === "DOCKER_TLS_CERTDIR" && value.value.trim() === "") ||
          (pair.key === "DOCKER_HOST" && /^tcp:\/\/[^/]*:2375\/?$/.test(value.value.trim()));
        if (!insecure) continue;
        reported.add(pair.value);
        report({
          message: `${pair.key}: "${value.value}" exposes the privileged ${dind.name.split("@")[0] ?? dind.name} daemon without TLS`,
          span: pairSpanIn(pipeline, pair),
          resource: job.name,
          enclosing: enclosing(job),
          provenance: [
            { description: `${job.name} runs the ${dind.name} service`, span: pipeline.spanOf(dind.node) },
          ],
        });
      }
    }
  },
});

export const publicArtifactsAlways = gitlabRule({
  id: "GITLAB-010",
  title: "Artifacts are public and uploaded even when the job fails",
  severity: "low",
  rationale:
    "`when: always` uploads whatever a failed job left behind (debug dumps, rendered configuration, environment files), and public artifacts can be downloaded by anyone who can see the pipeline.",
  remediation:
    "Set `public: false` (or `access: developer`) on such artifacts, or upload them only `on_success` and list exact paths.",
  references: [CI_YAML + "#artifactspublic", CI_YAML + "#artifactsaccess", CI_YAML + "#artifactswhen"],
  check(pipeline, report) {
    for (const site of sites(pipeline)) {
      const artifacts = siteValue(site, "artifacts")?.value;
      if (!isYMap(artifacts) || stringValue(child(artifacts, "when")) !== "always") continue;
      const exposed = [pairOf(artifacts, "public"), pairOf(artifacts, "access")].find(
        (pair) => pair && (pair.key === "public" ? isTrue(pair.value) : stringValue(pair.value) === "all"),
      );
      if (!exposed) continue;
      report({
        message: `artifacts of ${site.name} are uploaded on failure too and ${exposed.key === "public" ? "public: true" : "access: all"} lets anyone download them`,
        span: pairSpanIn(pipeline, exposed),
        resource: site.name,
        enclosing: [site.span],
      });
    }
  },
});

const MR_CONDITION = /merge_request_event|\$CI_MERGE_REQUEST_(IID|ID)\b/;
/** Conditions that keep fork merge requests out: the source project must be this project. */
const SAME_PROJECT =
  /CI_MERGE_REQUEST_SOURCE_PROJECT_(ID|PATH)\s*==\s*\$CI_(MERGE_REQUEST_)?PROJECT_(ID|PATH)|CI_PROJECT_(ID|PATH)\s*==\s*\$CI_MERGE_REQUEST_SOURCE_PROJECT_(ID|PATH)|CI_MERGE_REQUEST_EVENT_TYPE\s*!=\s*["']?merged_result|\$CI_COMMIT_REF_PROTECTED\s*==\s*["']?true/;
const PRIVILEGED_TAG = /prod|deploy|protected|privileged|release|secure|shell|trusted/i;

function runsOnMergeRequests(config: YMap): { conditions: string[] } | undefined {
  const only = child(config, "only");
  const onlyRefs = isYMap(only) ? child(only, "refs") : only;
  if (stringList(onlyRefs).some((r) => r.value === "merge_requests")) return { conditions: [] };
  const rules = child(config, "rules");
  if (!isYSeq(rules)) return undefined;
  const conditions = rules.items.map((rule) => stringValue(child(rule, "if")) ?? "");
  const runs = rules.items.some(
    (rule) =>
      MR_CONDITION.test(stringValue(child(rule, "if")) ?? "") && stringValue(child(rule, "when")) !== "never",
  );
  return runs ? { conditions } : undefined;
}

export const forkMergeRequestOnPrivilegedRunner = gitlabRule({
  id: "GITLAB-012",
  title: "Merge request jobs may run fork code on privileged runners",
  severity: "medium",
  rationale:
    "A job that runs for merge request pipelines executes the merge request's code. When pipelines for fork merge requests run in the parent project, that code lands on the project's tagged runners (deploy, production, shell executors), where it can read other jobs' files, cached credentials and the networks the runner reaches.",
  remediation:
    "Add `if: $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID` to the job's merge request rule, or keep merge request jobs on shared, isolated runners and reserve privileged runners for protected branches.",
  references: [
    "https://docs.gitlab.com/ci/pipelines/merge_request_pipelines/#run-pipelines-in-the-parent-project",
    "https://docs.gitlab.com/ci/runners/configure_runners/#prevent-runners-from-revealing-sensitive-information",
  ],
  check(pipeline, report) {
    for (const job of pipeline.jobs) {
      const mr = runsOnMergeRequests(job.config);
      if (!mr || mr.conditions.some((c) => SAME_PROJECT.test(c))) continue;
      const tags = pairOf(job.config, "tags");
      const privileged = stringList(tags?.value).find((t) => PRIVILEGED_TAG.test(t.value));
      if (!tags || !privileged) continue;
      report({
        message: `${job.name} runs for merge requests, forks included, on the runner tagged ${privileged.value}`,
        span: pipeline.spanOf(privileged.node),
        resource: job.name,
        enclosing: enclosing(job),
      });
    }
  },
});

export const productionDeployWithoutResourceGroup = gitlabRule({
  id: "GITLAB-013",
  title: "Production deploy always runs without a resource_group",
  severity: "low",
  rationale:
    "A production deploy job that runs `when: always` starts even after earlier jobs failed, and without `resource_group` two pipelines can deploy at the same time, so an older pipeline can finish last and roll production back.",
  remediation:
    "Add `resource_group: production` to the job, and run it `on_success` (or `manual`) instead of `always`.",
  references: [CI_YAML + "#resource_group", "https://docs.gitlab.com/ci/resource_groups/", CI_YAML + "#when"],
  check(pipeline, report) {
    for (const job of pipeline.jobs) {
      const environment = environmentName(job.config);
      if (!environment || !/prod/i.test(environment) || pairOf(job.config, "resource_group")) continue;
      let always = pairOf(job.config, "when");
      if (stringValue(always?.value) !== "always") always = undefined;
      const rules = child(job.config, "rules");
      if (!always && isYSeq(rules))
        for (const rule of rules.items) {
          const when = pairOf(rule, "when");
          if (when && stringValue(when.value) === "always") {
            always = when;
            break;
          }
        }
      if (!always) continue;
      report({
        message: `${job.name} deploys to ${environment} with when: always and no resource_group`,
        span: pairSpanIn(pipeline, always),
        resource: job.name,
        enclosing: enclosing(job),
      });
    }
  },
});
