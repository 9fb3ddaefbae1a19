import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Checkouts } from "../../src/pipeline/checkout.js";
import { openStore } from "../../src/store/index.js";
import type { ProjectRecord } from "../../src/store/index.js";
import type { TriggerRequest } from "../../src/server/coordinator.js";
import { ServerTriggers, workflowCrons } from "../../src/server/triggers.js";
import { gitRepo } from "../support/slipway-server.js";

const WORKFLOW = `name: nightly
on:
  schedule:
    - cron: "*/5 * * * *"
  push: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo nightly
`;

/** Polling and schedules against a real repository and store; the clock is passed in. */
describe("server triggers", async () => {
  const store = await openStore({ kind: "sqlite", file: ":memory:" });
  const checkouts = new Checkouts(mkdtempSync(path.join(os.tmpdir(), "slipway-git-")));
  afterAll(() => store.close());

  const setup = async (name: string, pollSeconds?: number) => {
    const repo = gitRepo({
      "slipway.yaml": "name: p\njobs:\n  a:\n    steps:\n      - run: echo hi\n",
      ".github/workflows/nightly.yml": WORKFLOW,
    });
    const project: ProjectRecord = {
      name,
      repo,
      defaultBranch: "main",
      webhookSecret: undefined,
      pollSeconds,
      polled: {},
      schedules: {},
      createdAt: 0,
      createdBy: "test",
    };
    await store.control.addProject(project);
    const fired: { project: string; request: TriggerRequest }[] = [];
    const triggers = new ServerTriggers({
      store,
      checkouts,
      onError: (error) => {
        throw error;
      },
      trigger: async (p, request) => {
        fired.push({ project: p.name, request });
      },
    });
    return { repo, fired, triggers };
  };

  it("reads the cron expressions of a workflow's on.schedule", () => {
    expect(workflowCrons(WORKFLOW)).toEqual(["*/5 * * * *"]);
    expect(workflowCrons("on: push")).toEqual([]);
    expect(workflowCrons(": not yaml :")).toEqual([]);
  });

  it("fires a schedule once per due time, counting from when it was first seen, once across servers", async () => {
    const { fired, triggers } = await setup("sched");
    const other = new ServerTriggers({
      store,
      checkouts,
      onError: () => undefined,
      trigger: async (_p, request) => void fired.push({ project: "other", request }),
    });
    const t0 = Date.UTC(2026, 10, 26, 12, 1, 0);
    await triggers.tick(t0);
    expect(fired).toEqual([]);
    await triggers.tick(t0 + 60_000);
    expect(fired).toEqual([]);
    // 12:05 passed: one run, of the workflow that declares it, on the default branch.
    await triggers.tick(t0 + 4 * 60_000 + 1_000);
    expect(fired.map((f) => [f.request.event, f.request.file, f.request.ref])).toEqual([
      ["schedule", ".github/workflows/nightly.yml", "refs/heads/main"],
    ]);
    // Hours of downtime: one run, not one per missed time.
    await triggers.tick(t0 + 3 * 3600_000);
    expect(fired).toHaveLength(2);
    // Another server ticking over the same span starts nothing more.
    await store.control.setProjectState("sched", {
      schedules: { ".github/workflows/nightly.yml */5 * * * *": t0 + 4 * 60_000 + 1_000 },
    });
    await other.tick(t0 + 3 * 3600_000);
    expect(fired.filter((f) => f.project === "other")).toHaveLength(0);
  });

  it("polls a repository and triggers a push for a branch that moved, not for the first look", async () => {
    const { repo, fired, triggers } = await setup("polled", 1);
    const t0 = Date.now();
    await triggers.tick(t0);
    expect(fired.filter((f) => f.request.event === "push")).toEqual([]);
    writeFileSync(path.join(repo, "new.txt"), "x");
    execFileSync(
      "git",
      ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "x", "--allow-empty"],
      { cwd: repo },
    );
    execFileSync("git", ["add", "new.txt"], { cwd: repo });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "new"], { cwd: repo });
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
    await triggers.tick(t0 + 500);
    expect(fired.filter((f) => f.request.event === "push")).toEqual([]);
    await triggers.tick(t0 + 1_500);
    expect(
      fired.filter((f) => f.request.event === "push").map((f) => [f.request.ref, f.request.sha]),
    ).toEqual([["refs/heads/main", head]]);
    await triggers.tick(t0 + 3_000);
    expect(fired.filter((f) => f.request.event === "push")).toHaveLength(1);
  });
});
