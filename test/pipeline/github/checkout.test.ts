import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { commit, diagnosticsOf, finished, git, lines, load, repository, runWorkflow } from "./support.js";

const workflow = `on: push
jobs:
  default:
    runs-on: ubuntu-latest
    steps:
      - id: co
        uses: actions/checkout@v4
        with:
          fetch-depth: 0
          persist-credentials: false
      - run: |
          echo "head $(git rev-parse HEAD) out \${{ steps.co.outputs.commit }}"
          echo "branch $(git rev-parse --abbrev-ref HEAD)"
          echo "describe $(git describe --tags)"
          echo "status $(git status --porcelain | tr '\\n' ' ')"
          echo "history $(git log --format=%s | tr '\\n' ,)"
  elsewhere:
    # The jobs of a run share its workspace: after default, so its git status is predictable.
    needs: default
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ github.event.before }}
          path: previous
      - run: |
          echo "previous $(cat previous/VERSION) at $(git -C previous rev-parse HEAD)"
          echo "current $(cat VERSION)"
  rewind:
    needs: [default, elsewhere]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          repository: \${{ github.repository }}
          ref: v1
      - run: echo "rewound $(cat VERSION), untracked $(ls untracked.txt 2>/dev/null || echo gone)"
`;

describe("actions/checkout of the repository being run, from the local repository", () => {
  it("makes the workspace the repository at the run's commit, or checks another commit out, with no network", async () => {
    const dir = await repository({ files: { ".github/workflows/co.yml": workflow, VERSION: "1\n" } });
    git(dir, "tag", "v1");
    const second = await commit(dir, { VERSION: "2\n" }, "Bump to 2");
    const first = git(dir, "rev-parse", "HEAD~1");
    // Uncommitted work is part of a run, and shows as such to git in the workspace.
    writeFileSync(path.join(dir, "untracked.txt"), "wip\n");

    const { events, logs } = await runWorkflow(dir, ".github/workflows/co.yml");
    expect(finished(events)).toEqual({ default: "success", elsewhere: "success", rewind: "success" });
    expect(lines(logs, "default", 1)).toEqual([
      `head ${second} out ${second}`,
      "branch main",
      "describe v1-1-g" + second.slice(0, 7),
      "status ?? untracked.txt ",
      "history Bump to 2,Initial import,",
    ]);
    expect(lines(logs, "elsewhere", 1)).toEqual([`previous 1 at ${first}`, "current 2"]);
    expect(lines(logs, "rewind", 1)).toEqual(["rewound 1, untracked gone"]);
  });

  it("refuses another repository, at the input that names it", async () => {
    const other = workflow.replace("repository: ${{ github.repository }}", "repository: octo/elsewhere");
    const dir = await repository(
      { files: { ".github/workflows/co.yml": other, VERSION: "1\n" } },
      { remote: "https://github.com/octo/here.git" },
    );
    expect(await diagnosticsOf(() => load(dir, ".github/workflows/co.yml", { forceTrigger: true }))).toEqual([
      ".github/workflows/co.yml:35:11: actions/checkout of octo/elsewhere is not available: Slipway checks out the repository being run (octo/here) only",
    ]);
  });
});
