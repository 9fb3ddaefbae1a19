import { describe, expect, it } from "vitest";
import { compileWorkflow } from "../../../src/pipeline/github/compile.js";
import { diagnosticsOf, load, repository } from "./support.js";

const compile = (text: string) => diagnosticsOf(async () => compileWorkflow(text, "ci.yml"));

describe("a workflow that cannot run here is refused before anything runs, every problem positioned", () => {
  it("unknown keys, with the closest known one", async () => {
    expect(
      await compile(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    timeout: 5
    steps:
      - run: echo hi
        naem: greet
`),
    ).toEqual(['ci.yml:5:5: unknown key "timeout"', 'ci.yml:8:9: unknown key "naem"']);
  });

  it("bad expressions: unknown contexts where GitHub does not allow them, syntax errors, unclosed ${{", async () => {
    const found = await compile(`on: push
env:
  A: \${{ steps.x.outputs.y }}
jobs:
  build:
    runs-on: ubuntu-latest
    if: \${{ runner.os == 'Linux' }}
    steps:
      - run: echo \${{ github.sha ) }}
      - run: echo \${{ nope.value }}
      - run: echo \${{ github.sha
`);
    expect(found).toEqual([
      expect.stringMatching(/^ci\.yml:3:6: invalid expression: Unrecognized named-value: 'steps'/),
      expect.stringMatching(/^ci\.yml:7:9: invalid expression: Unrecognized named-value: 'runner'/),
      "ci.yml:9:19: invalid expression: Unexpected symbol: ')'",
      expect.stringMatching(/^ci\.yml:10:19: invalid expression: Unrecognized named-value: 'nope'/),
      expect.stringMatching(/^ci\.yml:11:14: invalid expression: The expression is not closed/),
    ]);
  });

  it("containers, services, docker actions, other actions and reusable workflows, named at their key", async () => {
    const found = await compile(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container:
      image: node:20
    services:
      redis:
        image: redis:7
    steps:
      - uses: docker://alpine:3.20
      - uses: actions/cache@v4
        with:
          path: ~/.npm
          key: npm
      - uses: ./.github/actions/setup
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          pip-install: requests
      - run: echo
        shell: cmd
`);
    expect(found).toEqual([
      expect.stringMatching(/^ci\.yml:5:5: "container" is not supported: it needs a container runtime/),
      expect.stringMatching(/^ci\.yml:7:5: "services" is not supported: it needs a container runtime/),
      expect.stringMatching(
        /^ci\.yml:11:15: action docker:\/\/alpine:3\.20 is not available: it needs a container runtime/,
      ),
      // actions/cache@v4 and ./.github/actions/setup are read when the workflow is loaded (actions.test.ts).
      expect.stringMatching(/^ci\.yml:20:11: actions\/setup-python input "pip-install" is not supported/),
      expect.stringMatching(/^ci\.yml:22:16: shell cmd exists on Windows runners only/),
    ]);
  });

  it("unknown events, filters used together, and needs that do not resolve", async () => {
    const found = await compile(`on:
  pushh:
  push:
    branches: [main]
    branches-ignore: [wip]
jobs:
  a:
    runs-on: ubuntu-latest
    needs: [b, c]
    steps:
      - run: echo
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo
`);
    expect(found).toEqual([
      'ci.yml:2:3: unknown event "pushh"',
      "ci.yml:5:5: push has both branches and branches-ignore",
      'ci.yml:9:16: job "a" needs "c", which is not a job of this pipeline',
      "ci.yml:13:12: needs form a cycle: a -> b -> a",
    ]);
  });

  it("matrices that expand to nothing or come from needed jobs' outputs, duplicated step ids", async () => {
    const found = await compile(`on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
      - run: echo
  empty:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [linux]
        exclude:
          - os: linux
    steps:
      - id: same
        run: echo
      - id: same
        run: echo
  dynamic:
    needs: setup
    runs-on: ubuntu-latest
    strategy:
      matrix:
        version: \${{ fromJSON(needs.setup.outputs.versions) }}
    steps:
      - run: echo
`);
    expect(found).toEqual([
      "ci.yml:10:7: the matrix expands to no combination, so the job would never run",
      'ci.yml:17:13: step id "same" is used twice in this job',
      "ci.yml:23:7: a matrix from the outputs of needed jobs is expanded at run time, which Slipway does not support yet",
    ]);
  });

  it("this machine: runs-on another OS, a missing pwsh, a missing required input, unknown --input", async () => {
    const workflow = `on:
  workflow_dispatch:
    inputs:
      target:
        required: true
jobs:
  win:
    runs-on: windows-latest
    steps:
      - run: echo
  mac:
    runs-on: [macos-14, arm64]
    steps:
      - run: echo
  ps:
    runs-on: self-hosted
    steps:
      - shell: pwsh
        run: Write-Output hi
`;
    const dir = await repository({ files: { ".github/workflows/x.yml": workflow } });
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/x.yml"))).toEqual([
      '.github/workflows/x.yml:4:7: input "target" is required and has no default',
    ]);
    const machine = await diagnosticsOf(() =>
      load(dir, ".github/workflows/x.yml", { inputs: { target: "x" } }),
    );
    expect(machine).toEqual(
      expect.arrayContaining([
        '.github/workflows/x.yml:8:14: job "win" runs on windows-latest, and this machine runs Linux',
        '.github/workflows/x.yml:12:14: job "mac" runs on macos-14, and this machine runs Linux',
      ]),
    );
    if (!process.env.PATH?.split(":").some((d) => d.endsWith("pwsh"))) {
      expect(machine).toContain(
        ".github/workflows/x.yml:18:9: shell pwsh: PowerShell is not installed on this machine",
      );
    }
    // Jobs named on the command line are the only ones checked.
    await expect(
      load(dir, ".github/workflows/x.yml", { inputs: { target: "x" }, jobs: ["ps"] }),
    ).rejects.toThrow(/pwsh/);
  });
});
