import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../../support/cli.js";
import { commit, repository } from "./support.js";

const node20 = process.version.startsWith("v20.");

describe("slipway run, validate, graph and logs with --workflow, through the built CLI", () => {
  it.runIf(node20)(
    "runs a workflow, then shows its annotations and summaries, and keeps them for logs",
    async () => {
      const dir = await repository({ fixture: "node" });
      const run = cli(dir, [
        "run",
        "--workflow",
        ".github/workflows/ci.yml",
        "--matrix",
        "node=20",
        "--plain",
      ]);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/run \S+ · Node CI \(\.github\/workflows\/ci\.yml\) · 4 job\(s\)/);
      expect(run.stdout).toContain("build                          | Notice: built tiny-node 1.4.0");
      expect(run.stdout).toContain("Annotations\n  notice: Build: built tiny-node 1.4.0  build › Run echo");
      expect(run.stdout).toContain(
        "Summary · test (20, ubuntu-latest, true) › Report\n  ## Tests\n  node 20 (job 1 of 3): all tests passed\n",
      );

      const logs = cli(dir, ["logs", "1", "test (20, ubuntu-latest, true)"]);
      expect(logs.status).toBe(0);
      expect(logs.stdout).toContain("── test (20, ubuntu-latest, true) › Run npm test");
      expect(logs.stdout).toContain("Summary · test (20, ubuntu-latest, true) › Report");
      const runs = JSON.parse(cli(dir, ["runs", "--json"]).stdout) as { frontEnd: string; trigger: string }[];
      expect(runs[0]).toMatchObject({ frontEnd: "github", trigger: "push" });

      const json = cli(dir, [
        "run",
        "--workflow",
        ".github/workflows/ci.yml",
        "--matrix",
        "node=20",
        "--json",
        "lint",
      ]);
      expect(json.status).toBe(0);
      const types = json.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types[0]).toBe("run.queued");
      expect(types.at(-1)).toBe("run.finished");
    },
  );

  it("validates and graphs a workflow, matrix expanded as GitHub does", async () => {
    const dir = await repository({ fixture: "node" });
    const validate = cli(dir, ["validate", "--workflow", ".github/workflows/ci.yml"]);
    expect(validate.stdout).toBe(
      "✓ .github/workflows/ci.yml: 4 job(s), 6 after matrix expansion, 12 step(s)\n",
    );
    const graph = cli(dir, ["graph", "--workflow", ".github/workflows/ci.yml", "--format", "dot", "build"]);
    expect(graph.status).toBe(0);
    expect(graph.stdout).toContain('"test (20, ubuntu-latest, true)" -> "build";');
    expect(graph.stdout).not.toContain("release-notes");
  });

  it("refuses a run the event's filters exclude (exit 2, positioned, nothing run) unless forced", async () => {
    const dir = await repository({ fixture: "monorepo" });
    await commit(dir, { "docs/more.md": "more\n" }, "docs");
    const refused = cli(dir, ["run", "--workflow", ".github/workflows/api.yml"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      ".github/workflows/api.yml:6:5: error: none of the 1 file(s) changed since HEAD~1 (docs/more.md) is matched by paths",
    );
    expect(refused.stderr).toContain("  6 |     paths:");
    expect(refused.stderr).toContain(
      "hint: run from a state the workflow triggers on, pick another --event, or pass --force-trigger",
    );
    const runsDir = path.join(dir, ".slipway", "runs");
    expect(existsSync(runsDir) ? readdirSync(runsDir) : []).toEqual([]);

    const forced = cli(dir, ["run", "--workflow", ".github/workflows/api.yml", "--force-trigger", "--plain"]);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toMatch(
      /^warning: --force-trigger: running although \.github\/workflows\/api\.yml:6:5: none of/,
    );
  });

  it("reports usage mistakes with exit 2", async () => {
    const dir = await repository({ fixture: "monorepo" });
    const input = cli(dir, ["run", "--workflow", ".github/workflows/api.yml", "--input", "a=1"]);
    expect(input.status).toBe(2);
    expect(input.stderr).toContain("error: --input is for workflow_dispatch runs, and this run plays push");
    const missing = cli(dir, ["validate", "--workflow", "nope.yml"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: --workflow nope.yml: no such file");
    const mixed = cli(dir, ["run", "--event", "push"]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain("error: --event is for GitHub workflows");
  });

  it("wires --gitlab to the GitLab front-end: .gitlab-ci.yml by default, or the file given", async () => {
    const dir = await repository({
      files: { ".gitlab-ci.yml": "build:\n  script:\n    - echo from gitlab\n" },
    });
    const validate = cli(dir, ["validate", "--gitlab"]);
    expect(validate.stdout).toBe("✓ .gitlab-ci.yml: 1 job(s), 1 after matrix expansion, 1 step(s)\n");
    const run = cli(dir, ["run", "--plain", "--gitlab", ".gitlab-ci.yml"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("from gitlab");
    const both = cli(dir, ["run", "--gitlab", "--workflow", "x.yml"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--file, --workflow and --gitlab name a pipeline each: pass one of them");
  });
});
