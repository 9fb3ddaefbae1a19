import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../engine/harness.js";
import { diagnosticsOf, finished, git, lines, load, repository, runWorkflow } from "./support.js";

const called = `name: Build
on:
  workflow_call:
    inputs:
      target:
        type: string
        required: true
      verbose:
        type: boolean
        default: false
    secrets:
      token:
        required: true
    outputs:
      artifact:
        value: \${{ jobs.package.outputs.file }}
env:
  LEVEL: called
jobs:
  compile:
    runs-on: ubuntu-latest
    outputs:
      bin: \${{ steps.c.outputs.bin }}
    steps:
      - id: c
        run: |
          echo "compile \${{ inputs.target }} verbose=\${{ inputs.verbose }} level=$LEVEL token=\${{ secrets.token == 's3cret' }}"
          echo "bin=\${{ inputs.target }}.bin" >> "$GITHUB_OUTPUT"
  package:
    needs: compile
    if: inputs.verbose
    runs-on: ubuntu-latest
    outputs:
      file: \${{ steps.p.outputs.file }}
    steps:
      - id: p
        run: |
          echo "package \${{ needs.compile.outputs.bin }}"
          echo "file=\${{ needs.compile.outputs.bin }}.tar" >> "$GITHUB_OUTPUT"
`;

describe("reusable workflows", () => {
  it("run the called workflow's jobs with inputs, secrets and outputs, after the caller's needs", async () => {
    const dir = await repository({
      files: {
        ".github/workflows/build.yml": called,
        ".github/workflows/ci.yml": `on: push
jobs:
  prepare:
    runs-on: ubuntu-latest
    outputs:
      v: \${{ steps.v.outputs.v }}
    steps:
      - id: v
        run: echo "v=7" >> "$GITHUB_OUTPUT"
  build:
    needs: prepare
    uses: ./.github/workflows/build.yml
    with:
      target: app-\${{ needs.prepare.outputs.v }}
      verbose: true
    secrets:
      token: \${{ secrets.MY_TOKEN }}
  ship:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "ship \${{ needs.build.outputs.artifact }}"
`,
      },
    });
    const secretFile = path.join(await tempDir("slipway-gh-secrets-"), "secrets");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(secretFile, "MY_TOKEN=s3cret\n");
    const { events, logs, loaded } = await runWorkflow(dir, ".github/workflows/ci.yml", { secretFile });
    expect(loaded.pipeline.jobs.map((j) => [j.id, j.needs])).toEqual([
      ["prepare", []],
      ["build / compile", ["prepare"]],
      ["build / package", ["prepare", "build / compile"]],
      ["build", ["prepare", "build / compile", "build / package"]],
      ["ship", ["build"]],
    ]);
    expect(finished(events)).toEqual({
      prepare: "success",
      "build / compile": "success",
      "build / package": "success",
      build: "success",
      ship: "success",
    });
    expect(lines(logs, "build / compile")).toEqual(["compile app-7 verbose=true level=called token=true"]);
    expect(lines(logs, "build / package")).toEqual(["package app-7.bin"]);
    expect(lines(logs, "ship")).toEqual(["ship app-7.bin.tar"]);
  });

  it("from another repository, and refused at the uses when it cannot be called", async () => {
    const base = await tempDir("slipway-gh-actions-");
    const cacheDir = await tempDir("slipway-gh-actions-cache-");
    const work = await repository({ files: { ".github/workflows/build.yml": called } });
    git(work, "tag", "v1");
    git(base, "clone", "-q", "--bare", work, path.join(base, "octo", "pipelines"));
    const dir = await repository({
      files: {
        ".github/workflows/plain.yml":
          "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
        ".github/workflows/ci.yml": `on: push
jobs:
  remote:
    uses: octo/pipelines/.github/workflows/build.yml@v1
    with:
      target: far
    secrets: inherit
  missing:
    uses: ./.github/workflows/nothing.yml
  plain:
    uses: ./.github/workflows/plain.yml
  wrong:
    uses: ./.github/workflows/build.yml
    with:
      targt: x
`,
        ".github/workflows/build.yml": called,
      },
    });
    const options = { actionsBaseUrl: `file://${base}`, actionsCacheDir: cacheDir };
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/ci.yml", options))).toEqual([
      ".github/workflows/ci.yml:9:11: reusable workflow ./.github/workflows/nothing.yml is not available: .github/workflows/nothing.yml does not exist",
      ".github/workflows/ci.yml:11:11: reusable workflow ./.github/workflows/plain.yml is not available: .github/workflows/plain.yml has no on.workflow_call: it cannot be called",
      '.github/workflows/ci.yml:13:11: reusable workflow ./.github/workflows/build.yml is not available: input "target" is required',
      '.github/workflows/ci.yml:15:7: reusable workflow ./.github/workflows/build.yml has no input "targt"',
    ]);
    const ok = await repository({
      files: {
        ".github/workflows/ci.yml": `on: push
jobs:
  remote:
    uses: octo/pipelines/.github/workflows/build.yml@v1
    with:
      target: far
    secrets: inherit
`,
      },
    });
    const { events, logs } = await runWorkflow(ok, ".github/workflows/ci.yml", options);
    expect(finished(events)).toEqual({
      "remote / compile": "success",
      "remote / package": "skipped",
      remote: "success",
    });
    expect(lines(logs, "remote / compile")).toEqual(["compile far verbose=false level=called token=false"]);
  });
});
