import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../../support/cli.js";
import { tempDir } from "../engine/harness.js";
import { diagnosticsOf, finished, git, lines, load, repository, runWorkflow } from "./support.js";

const greet = `name: Greet
inputs:
  who:
    description: whom to greet
    required: true
  greeting:
    default: Hello
  shout:
    default: "false"
outputs:
  message:
    value: \${{ steps.compose.outputs.message }}
  length:
    value: \${{ steps.count.outputs.n }}
runs:
  using: composite
  steps:
    - id: compose
      shell: bash
      run: echo "message=\${{ inputs.greeting }}, \${{ inputs.who }}" >> "$GITHUB_OUTPUT"
    - id: count
      shell: bash
      env:
        MESSAGE: \${{ steps.compose.outputs.message }}
      run: echo "n=\${#MESSAGE}" >> "$GITHUB_OUTPUT"
    - if: inputs.shout == 'true'
      shell: bash
      run: echo "SHOUT \${{ steps.compose.outputs.message }}"
    - shell: sh
      working-directory: sub
      run: echo "in $(basename "$PWD") with $INPUT_WHO from $(basename "$GITHUB_ACTION_PATH") \${{ github.action_path != '' }}"
    - uses: ./.github/actions/inner
      with:
        text: inner sees \${{ inputs.who }} and \${{ steps.count.outputs.n }}
`;

const inner = `name: Inner
inputs:
  text: {}
runs:
  using: composite
  steps:
    - id: compose
      shell: bash
      run: echo "\${{ inputs.text }}"
`;

describe("local composite actions", () => {
  it("runs the action's steps with its inputs, outputs, scoped step ids and nested actions", async () => {
    const dir = await repository({
      files: {
        ".github/actions/greet/action.yml": greet,
        ".github/actions/inner/action.yaml": inner,
        "sub/.keep": "",
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: compose
        run: echo "message=workflow's own" >> "$GITHUB_OUTPUT"
      - id: hi
        uses: ./.github/actions/greet
        with:
          who: \${{ github.actor }}
          shout: true
      - uses: ./.github/actions/greet
        with:
          who: again
          greeting: Bye
      - run: |
          echo "got \${{ steps.hi.outputs.message }} (\${{ steps.hi.outputs.length }}) \${{ steps.hi.outcome }}"
          echo "still \${{ steps.compose.outputs.message }}"
`,
      },
    });
    const { events, logs, loaded } = await runWorkflow(dir, ".github/workflows/ci.yml");
    expect(finished(events)).toEqual({ build: "success" });
    const text = lines(logs, "build");
    expect(text).toContain("SHOUT Hello, ada");
    expect(text).toContain("in sub with ada from greet true");
    expect(text).toContain("inner sees ada and 10");
    expect(text).toContain("in sub with again from greet true");
    expect(text).not.toContain("SHOUT Bye, again");
    expect(text).toContain("got Hello, ada (10) success");
    expect(text).toContain("still workflow's own");
    const ids = loaded.pipeline.jobs[0]?.steps.map((s) => s.id);
    expect(ids).toContain("hi/compose");
    expect(ids).toContain("hi");
    expect(ids?.filter((id) => id?.endsWith("/compose"))).toHaveLength(4);
  });

  it("skips the rest of an action after one of its steps fails; the using step's outcome is the action's", async () => {
    const dir = await repository({
      files: {
        "act/action.yml": `outputs:
  before:
    value: \${{ steps.one.outputs.v }}
runs:
  using: composite
  steps:
    - id: one
      shell: bash
      run: echo "v=1" >> "$GITHUB_OUTPUT"
    - shell: bash
      run: exit 4
    - shell: bash
      run: echo "after the failure"
    - if: failure()
      shell: bash
      run: echo "cleaning up"
`,
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: act
        uses: ./act
        continue-on-error: true
      - run: echo "\${{ steps.act.outcome }} \${{ steps.act.conclusion }} \${{ steps.act.outputs.before }}"
  failing:
    runs-on: ubuntu-latest
    steps:
      - uses: ./act
      - run: echo never
`,
      },
    });
    const { events, logs } = await runWorkflow(dir, ".github/workflows/ci.yml");
    expect(finished(events)).toEqual({ build: "success", failing: "failure" });
    expect(lines(logs, "build")).toEqual(["cleaning up", "failure success 1"]);
    expect(lines(logs, "failing")).toEqual(["cleaning up"]);
  });

  it("refuses, at the uses, a missing action, a required input, an unknown input and a run step without shell", async () => {
    const dir = await repository({
      files: {
        ".github/actions/greet/action.yml": greet,
        ".github/actions/inner/action.yml":
          "inputs:\n  text: {}\nruns:\n  using: composite\n  steps:\n    - uses: ./nowhere\n",
        ".github/actions/noshell/action.yml": `runs:
  using: composite
  steps:
    - run: echo hi
`,
        ".github/actions/box/action.yml": `runs:
  using: docker
  image: Dockerfile
`,
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/missing
      - uses: ./.github/actions/greet
      - uses: ./.github/actions/greet
        with:
          who: x
          greting: Hi
      - uses: ./.github/actions/noshell
      - uses: ./.github/actions/box
`,
      },
    });
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/ci.yml"))).toEqual([
      expect.stringMatching(
        /^\.github\/workflows\/ci\.yml:6:15: action \.\/\.github\/actions\/missing is not available: .* has no action\.yml/,
      ),
      expect.stringMatching(/^\.github\/workflows\/ci\.yml:7:15: .*: input "who" is required/),
      ".github/workflows/ci.yml:8:15: action ./.github/actions/greet is not available: ./nowhere has no action.yml or action.yaml (step 1 of ./.github/actions/inner) (step 5 of ./.github/actions/greet)",
      expect.stringMatching(/^\.github\/workflows\/ci\.yml:11:11: action .* has no input "greting"/),
      expect.stringMatching(/^\.github\/workflows\/ci\.yml:12:15: .*: step 1 of .* has no shell/),
      expect.stringMatching(/^\.github\/workflows\/ci\.yml:13:15: .*: .* is a Docker action/),
    ]);
  });
});

const jsAction = (name: string) => ({
  [`${name}/action.yml`]: `name: JS
inputs:
  "file name":
    default: none
  fetch-depth:
    required: true
outputs:
  said: {}
runs:
  using: node20
  pre: pre.js
  main: main.js
  post: post.js
`,
  [`${name}/pre.js`]: `console.log("pre " + process.env["INPUT_FETCH-DEPTH"]);\n`,
  [`${name}/main.js`]: `const fs = require("node:fs");
const depth = process.env["INPUT_FETCH-DEPTH"];
console.log("main " + process.env.INPUT_FILE_NAME + " " + depth);
fs.appendFileSync(process.env.GITHUB_OUTPUT, "said=depth " + depth + "\\n");
fs.appendFileSync(process.env.GITHUB_STATE, "depth=" + depth + "\\n");
if (depth === "fail") process.exit(3);
`,
  [`${name}/post.js`]: `console.log("post " + process.env.STATE_depth);\n`,
  [`${name}/package.json`]: `{ "type": "commonjs" }\n`,
});

describe("JavaScript actions", () => {
  it("run with this machine's node: inputs, outputs, state, and post steps at the end in reverse order", async () => {
    const dir = await repository({
      files: {
        ...jsAction("tools/js"),
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: one
        uses: ./tools/js
        with:
          fetch-depth: 1
      - uses: ./tools/js
        with:
          fetch-depth: 2
          file name: f.txt
      - run: echo "said \${{ steps.one.outputs.said }}"
  failing:
    runs-on: ubuntu-latest
    steps:
      - uses: ./tools/js
        with:
          fetch-depth: fail
      - run: echo never
`,
      },
    });
    const { events, logs } = await runWorkflow(dir, ".github/workflows/ci.yml");
    expect(finished(events)).toEqual({ build: "success", failing: "failure" });
    expect(lines(logs, "build")).toEqual([
      "pre 1",
      "pre 2",
      "main none 1",
      "main f.txt 2",
      "said depth 1",
      "post 2",
      "post 1",
    ]);
    expect(lines(logs, "failing")).toEqual(["pre fail", "main none fail", "post fail"]);
  });
});

/** A bare repository at `<base>/<owner>/<repo>` holding the files, with a tag v1. */
async function remote(
  base: string,
  owner: string,
  name: string,
  files: Record<string, string>,
): Promise<string> {
  const work = await repository({ files });
  git(work, "tag", "v1");
  const bare = path.join(base, owner, name);
  git(base, "clone", "-q", "--bare", work, bare);
  return git(work, "rev-parse", "HEAD");
}

describe("actions from other repositories", () => {
  it("are fetched with git from the base URL into a cache, then run like local ones", async () => {
    const base = await tempDir("slipway-gh-actions-");
    const cacheDir = await tempDir("slipway-gh-actions-cache-");
    const commit = await remote(base, "octo", "tools", {
      ...jsAction("js"),
      "action.yml": `inputs:
  who: { default: world }
outputs:
  where:
    value: \${{ steps.w.outputs.where }}
runs:
  using: composite
  steps:
    - id: w
      shell: bash
      run: |
        echo "hello \${{ inputs.who }} from $(cat "$GITHUB_ACTION_PATH/VERSION")"
        echo "where=remote" >> "$GITHUB_OUTPUT"
`,
      VERSION: "v1\n",
    });
    const dir = await repository({
      files: {
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: root
        uses: octo/tools@v1
        with:
          who: ada
      - uses: octo/tools/js@${commit}
        with:
          fetch-depth: 5
      - run: echo "from \${{ steps.root.outputs.where }}"
`,
      },
    });
    const options = { actionsBaseUrl: `file://${base}`, actionsCacheDir: cacheDir };
    const { events, logs } = await runWorkflow(dir, ".github/workflows/ci.yml", options);
    expect(finished(events)).toEqual({ build: "success" });
    expect(lines(logs, "build")).toEqual([
      "pre 5",
      "hello ada from v1",
      "main none 5",
      "from remote",
      "post 5",
    ]);
    // The cache serves the next run, even with the base gone.
    const second = await runWorkflow(dir, ".github/workflows/ci.yml", {
      ...options,
      actionsBaseUrl: `file://${base}/gone`,
    });
    expect(finished(second.events)).toEqual({ build: "success" });
  });

  it("a repository or version that cannot be fetched is an error at the uses, naming the URL", async () => {
    const base = await tempDir("slipway-gh-actions-");
    const cacheDir = await tempDir("slipway-gh-actions-cache-");
    await remote(base, "octo", "tools", { "action.yml": "runs:\n  using: composite\n  steps: []\n" });
    const dir = await repository({
      files: {
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: octo/nothing@v1
      - uses: octo/tools@v9
`,
      },
    });
    const found = await diagnosticsOf(() =>
      load(dir, ".github/workflows/ci.yml", { actionsBaseUrl: `file://${base}`, actionsCacheDir: cacheDir }),
    );
    expect(found).toEqual([
      expect.stringContaining(
        `.github/workflows/ci.yml:6:15: action octo/nothing@v1 is not available: fetching octo/nothing@v1 from file://${base}/octo/nothing failed`,
      ),
      expect.stringContaining(
        `.github/workflows/ci.yml:7:15: action octo/tools@v9 is not available: v9 is not a branch, tag or commit of file://${base}/octo/tools`,
      ),
    ]);
  });
});

describe("slipway run --actions-base-url", () => {
  it("fetches owner/repo@ref actions from the given base", async () => {
    const base = await tempDir("slipway-gh-actions-");
    const cacheDir = await tempDir("slipway-gh-actions-cache-");
    await remote(base, "octo", "hello", {
      "action.yml": `runs:
  using: composite
  steps:
    - shell: bash
      run: echo "hello from octo/hello"
`,
    });
    const dir = await repository({
      files: {
        ".github/workflows/ci.yml": `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: octo/hello@v1
`,
      },
    });
    const args = ["run", "--workflow", ".github/workflows/ci.yml", "--plain"];
    const env = { SLIPWAY_ACTIONS_CACHE: cacheDir, SLIPWAY_ACTIONS_BASE_URL: "file:///nowhere" };
    const refused = cli(dir, args, env);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(
      ".github/workflows/ci.yml:6:15: error: action octo/hello@v1 is not available: fetching octo/hello@v1 from file:///nowhere/octo/hello failed: '/nowhere/octo/hello' does not appear to be a git repository",
    );
    const ran = cli(dir, [...args, "--actions-base-url", `file://${base}`], env);
    expect(ran.stderr).toBe("");
    expect(ran.status).toBe(0);
    expect(ran.stdout).toContain("hello from octo/hello");
  });
});
