import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { Checkouts } from "../../src/pipeline/checkout.js";
import { Coordinator } from "../../src/server/coordinator.js";
import type { TriggerResult } from "../../src/server/coordinator.js";
import { Live } from "../../src/server/live.js";
import { openStore } from "../../src/store/index.js";
import type { ProjectRecord } from "../../src/store/index.js";
import type { TriggerRequest } from "../../src/server/coordinator.js";
import { ServerTriggers, scheduleCrons } from "../../src/server/triggers.js";
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

const NATIVE = `name: native
on:
  push:
    branches: [main]
  schedule:
    - cron: "* * * * *"
jobs:
  a:
    steps:
      - run: echo scheduled
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

  it("reads the cron expressions of a workflow's or a slipway.yaml's on.schedule", () => {
    expect(scheduleCrons(WORKFLOW)).toEqual(["*/5 * * * *"]);
    expect(scheduleCrons(NATIVE)).toEqual(["* * * * *"]);
    expect(scheduleCrons("on: push")).toEqual([]);
    expect(scheduleCrons(": not yaml :")).toEqual([]);
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

  it("runs a slipway.yaml on its on.schedule, and not for a push its on.push.branches exclude", async () => {
    const repo = gitRepo({ "slipway.yaml": NATIVE });
    const name = "native-on";
    await store.control.addProject({
      name,
      repo,
      defaultBranch: "main",
      webhookSecret: undefined,
      pollSeconds: 1,
      polled: {},
      schedules: {},
      createdAt: 0,
      createdBy: "test",
    });
    const coordinator = new Coordinator({
      store,
      dataDir: mkdtempSync(path.join(os.tmpdir(), "slipway-data-")),
      serverId: "test-server",
      live: new Live(),
      checkouts,
      onError: (error) => {
        throw error;
      },
    });
    onTestFinished(() => coordinator.close());
    const started: { request: TriggerRequest; result: TriggerResult }[] = [];
    const triggers = new ServerTriggers({
      store,
      checkouts,
      onError: (error) => {
        throw error;
      },
      trigger: async (project, request) => {
        if (project.name === name)
          started.push({ request, result: await coordinator.trigger(project, request) });
      },
    });
    // The clock is passed in: a minute of cron time is two ticks, not a minute of waiting.
    const t0 = Date.UTC(2026, 10, 26, 12, 0, 30);
    await triggers.tick(t0);
    expect(started).toEqual([]);
    await triggers.tick(t0 + 60_000);
    expect(started.map((s) => [s.request.event, s.request.file, s.request.ref])).toEqual([
      ["schedule", "slipway.yaml", "refs/heads/main"],
    ]);
    const [scheduled] = started[0]?.result.runs ?? [];
    expect(scheduled?.file).toBe("slipway.yaml");
    const run = await store.getRun(scheduled?.id ?? "");
    expect([run?.trigger, run?.file, run?.project]).toEqual(["schedule", "slipway.yaml", name]);

    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo });
    git("checkout", "-qb", "feature");
    writeFileSync(path.join(repo, "feature.txt"), "x");
    git("add", "feature.txt");
    git("commit", "-qm", "feature");
    await triggers.tick(t0 + 80_000);
    const pushes = started.filter((s) => s.request.event === "push");
    expect(pushes.map((s) => s.request.ref)).toEqual(["refs/heads/feature"]);
    expect(pushes[0]?.result.runs).toEqual([]);
    expect(pushes[0]?.result.skipped).toEqual([
      {
        file: "slipway.yaml",
        reason: 'branch "feature" is not matched by branches (main)',
      },
    ]);
    expect((await store.listRuns({ project: name })).map((r) => r.trigger)).toEqual(["schedule"]);
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
