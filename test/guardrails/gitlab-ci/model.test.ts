import { describe, expect, it } from "vitest";
import { analyzeGitlabFiles } from "../../../src/guardrails/gitlab-ci/analyze.js";
import { claimsGitlab } from "../../../src/guardrails/gitlab-ci/index.js";
import { jobResources } from "../../../src/guardrails/gitlab-ci/generic.js";
import { toPlain } from "../../../src/guardrails/github-actions/yaml-tree.js";
import type { ScanContext } from "../../../src/guardrails/model.js";

type Context = Pick<ScanContext, "ruleFilter" | "customRules" | "root">;
const all: Context = { ruleFilter: () => true, customRules: [], root: "/nonexistent" };
const only = (id: string): Context => ({
  ruleFilter: (rule: string) => rule === id,
  customRules: [],
  root: "/nonexistent",
});

async function load(files: Record<string, string>, context = all) {
  return analyzeGitlabFiles(
    Object.entries(files).map(([path, text]) => ({ path, text, absolutePath: `/repo/${path}` })),
    context,
  );
}

async function job(files: Record<string, string>, name: string): Promise<Record<string, unknown>> {
  const result = await load(files);
  expect(result.diagnostics).toEqual([]);
  const found = result.pipelines[0]?.jobs.find((j) => j.name === name);
  expect(found, name).toBeDefined();
  return toPlain(found?.config) as Record<string, unknown>;
}

describe("extends", () => {
  it("merges maps deeply, replaces lists, and resolves several levels in order", async () => {
    const config = await job(
      {
        ".gitlab-ci.yml": `.base:
  image: alpine:3.19
  variables: { A: base, B: base }
  tags: [docker]
  script: [echo base]
.middle:
  extends: .base
  variables: { B: middle, C: middle }
  tags: [linux]
.other:
  image: alpine:3.20
build:
  extends: [.middle, .other]
  variables: { C: job }
  script: [make]
`,
      },
      "build",
    );
    expect(config).toEqual({
      image: "alpine:3.20",
      variables: { A: "base", B: "middle", C: "job" },
      tags: ["linux"],
      script: ["make"],
    });
  });

  it("reports loops and unknown parents as diagnostics with positions", async () => {
    const result = await load({
      ".gitlab-ci.yml":
        "a:\n  extends: b\n  script: [x]\nb:\n  extends: a\n  script: [y]\nc:\n  extends: .missing\n  script: [z]\n",
    });
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [5, "extends a loops back to b"],
      [8, "extends .missing: no job or template has that name"],
    ]);
  });
});

describe("!reference, anchors and defaults", () => {
  it("replaces !reference tags with what they point to", async () => {
    const config = await job(
      {
        ".gitlab-ci.yml": `.setup:
  script:
    - echo setup
  variables:
    REGION: eu-west-1
.vars:
  extends: .setup
test:
  variables:
    REGION: !reference [.vars, variables, REGION]
  script:
    - !reference [.setup, script]
    - make test
`,
      },
      "test",
    );
    expect(config.script).toEqual([["echo setup"], "make test"]);
    expect(config.variables).toEqual({ REGION: "eu-west-1" });
  });

  it("applies anchors, merge keys, default: and global variables unless inherit says no", async () => {
    const files = {
      ".gitlab-ci.yml": `variables:
  GLOBAL: g
default:
  image: node:20
  before_script: [npm ci]
.common: &common
  tags: [docker]
  retry: 2
lint:
  <<: *common
  retry: 0
  script: [npm run lint]
raw:
  inherit:
    default: [image]
    variables: false
  script: [true]
`,
    };
    expect(await job(files, "lint")).toEqual({
      tags: ["docker"],
      retry: 0,
      script: ["npm run lint"],
      image: "node:20",
      before_script: ["npm ci"],
      variables: { GLOBAL: "g" },
    });
    const raw = await job(files, "raw");
    expect(raw.image).toBe("node:20");
    expect(raw.before_script).toBeUndefined();
    expect(raw.variables).toBeUndefined();
  });
});

describe("includes", () => {
  it("merges local includes, nested ones too, and reports values where they are written", async () => {
    const result = await load(
      {
        ".gitlab-ci.yml":
          "include:\n  - local: /ci/base.yml\n  - remote: https://example.com/x.yml\n    integrity: sha256-abc\nbuild:\n  extends: .docker\n  script: [make]\n",
        "ci/base.yml": "include: ci/images.yml\n.docker:\n  image: $BUILDER\n",
        "ci/images.yml": "variables:\n  BUILDER: docker:latest\n",
      },
      only("GITLAB-003"),
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.files.sort()).toEqual([".gitlab-ci.yml", "ci/base.yml", "ci/images.yml"]);
    expect(result.findings.map((f) => [f.span.file, f.span.line, f.resource, f.message])).toEqual([
      ["ci/base.yml", 3, ".docker", "image $BUILDER (docker:latest) follows `latest`"],
    ]);
    const resources = jobResources(result.pipelines[0]!);
    expect(resources[0]?.get("image")).toMatchObject({
      value: "$BUILDER",
      span: { file: "ci/base.yml", line: 3 },
    });
  });

  it("reads a file no .gitlab-ci.yml includes on its own, without asking for templates it cannot see", async () => {
    const result = await load(
      { "templates/build.yml": "build:\n  extends: .org-defaults\n  image: node:latest\n  script: [make]\n" },
      only("GITLAB-003"),
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => [f.span.file, f.span.line])).toEqual([["templates/build.yml", 3]]);
  });

  it("reports a missing local include and still scans the rest", async () => {
    const result = await load(
      { ".gitlab-ci.yml": "include: ci/missing.yml\nbuild:\n  image: node\n  script: [make]\n" },
      only("GITLAB-003"),
    );
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [1, "included file ci/missing.yml was not found"],
    ]);
    expect(result.findings).toHaveLength(1);
  });
});

describe("rules over resolved jobs", () => {
  it("see Docker-in-Docker and TLS settings inherited from defaults and global variables", async () => {
    const result = await load(
      {
        ".gitlab-ci.yml":
          'variables:\n  DOCKER_TLS_CERTDIR: ""\ndefault:\n  services: [docker:27-dind]\nbuild:\n  script: [docker build .]\npush:\n  script: [docker push x]\n',
      },
      only("GITLAB-007"),
    );
    expect(result.findings.map((f) => [f.span.line, f.resource])).toEqual([[2, "build"]]);
  });

  it("finds eval of commit data also through a job variable", async () => {
    const result = await load(
      {
        ".gitlab-ci.yml":
          'release:\n  variables:\n    NOTES: "$CI_COMMIT_DESCRIPTION"\n  script:\n    - echo "$CI_COMMIT_MESSAGE"\n    - eval "release --notes $NOTES"\n',
      },
      only("GITLAB-001"),
    );
    expect(result.findings.map((f) => [f.span.line, f.span.column, f.message])).toEqual([
      [6, 29, "$NOTES (from $CI_COMMIT_DESCRIPTION) is evaluated by eval"],
    ]);
    expect(result.findings[0]?.provenance[0]).toMatchObject({ span: { line: 3 } });
  });
});

describe("claims", () => {
  it("claims .gitlab-ci.yml and CI-shaped YAML, not workflows or manifests", () => {
    expect(claimsGitlab({ path: ".gitlab-ci.yml", text: "" })).toBe(true);
    expect(claimsGitlab({ path: "ci/jobs.yml", text: ".tpl:\n  script:\n    - make\n" })).toBe(true);
    expect(claimsGitlab({ path: "ci/stages.yaml", text: "stages: [a]\n" })).toBe(true);
    expect(claimsGitlab({ path: ".github/workflows/ci.yml", text: "stages: [a]\n" })).toBe(false);
    expect(
      claimsGitlab({
        path: "wf.yml",
        text: "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/github-script@v7\n        with:\n          script: x\n",
      }),
    ).toBe(false);
    expect(claimsGitlab({ path: "values.yaml", text: "image:\n  tag: 1\n" })).toBe(false);
    expect(
      claimsGitlab({
        path: "docker-compose.yml",
        text: "services:\n  web:\n    extends:\n      service: base\n",
      }),
    ).toBe(false);
  });
});
