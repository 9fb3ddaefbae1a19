import { afterEach, describe, expect, it } from "vitest";
import { RolloutControl } from "../../src/delivery/control.js";
import type { Release, Strategy } from "../../src/delivery/model.js";
import { runRollout } from "../../src/delivery/rollout.js";
import type { RolloutEvent, RolloutMode } from "../../src/delivery/rollout.js";
import { jobTemplate, releasesOf, startHostsTarget, testRelease, until } from "../support/delivery.js";
import type { StartedHostsTarget } from "../support/delivery.js";
import { startLoad } from "../support/load-generator.js";

/**
 * Strategies against the real hosts target: real processes of the test service, the weighted
 * proxy, continuous load. Analyses here are job metrics (a command decides); the end-to-end test
 * measures with Prometheus.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function target(options: { preview?: boolean } = {}): Promise<StartedHostsTarget> {
  const started = await startHostsTarget(options);
  cleanups.push(started.close);
  return started;
}

function rollout(
  started: StartedHostsTarget,
  release: Release,
  stable: Release | undefined,
  options: { control?: RolloutControl; mode?: RolloutMode } = {},
) {
  const events: RolloutEvent[] = [];
  const control = options.control ?? new RolloutControl();
  const done = runRollout({
    target: started.target,
    environment: "test",
    release,
    stable,
    instances: release.config.instances,
    control,
    mode: options.mode ?? "deploy",
    record: (event) => events.push(event),
  });
  return { events, control, done };
}

async function deployFirst(started: StartedHostsTarget, release: Release): Promise<void> {
  const first = await rollout(started, release, undefined).done;
  expect(first.outcome).toBe("succeeded");
}

const url = async (started: StartedHostsTarget) => (await started.target.status()).url ?? "";

const canary = (steps: Extract<Strategy, { kind: "canary" }>["steps"]): Strategy => ({
  kind: "canary",
  steps,
});

describe("rolling", () => {
  it("replaces every instance under load without a failed request, never above maxSurge", async () => {
    const started = await target();
    const v1 = testRelease("v1", { instances: 3 });
    const v2 = testRelease("v2", { instances: 3 });
    await deployFirst(started, v1);
    const load = startLoad(await url(started), { concurrency: 4 });
    const { events, done } = rollout(started, v2, v1);
    expect(await done).toEqual({ outcome: "succeeded" });
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(await releasesOf(await url(started), 10)).toEqual({ v2: 10 });
    // Count instances after each scale: never more than 3 + maxSurge 1, never fewer than 3 ready.
    const running = new Map<string, number>([["v1", 3]]);
    for (const event of events) {
      if (event.type !== "scaled") continue;
      running.set(event.version, event.instances);
      const total = [...running.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(4);
      expect(total).toBeGreaterThanOrEqual(3);
    }
    expect(running).toEqual(
      new Map([
        ["v1", 0],
        ["v2", 3],
      ]),
    );
  });
});

describe("canary", () => {
  it("shifts traffic step by step and promotes when the analysis passes", async () => {
    const started = await target();
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: canary([{ setWeight: 20 }, { analysis: { templates: ["ok"], args: {} } }, { setWeight: 60 }]),
      analysis: { ok: jobTemplate("ok", 'test -n "$PATH"') },
    });
    await deployFirst(started, v1);
    const { events, done } = rollout(started, v2, v1);
    expect(await done).toEqual({ outcome: "succeeded" });
    const weights = events.flatMap((e) => (e.type === "traffic" ? [e.split.canaryWeight ?? 0] : []));
    expect(weights).toEqual([20, 60, 0]);
    const analysis = events.find((e) => e.type === "analysis");
    expect(analysis).toMatchObject({ result: { phase: "Successful" } });
    expect(await releasesOf(await url(started), 10)).toEqual({ v2: 10 });
    expect((await started.target.status()).releases.map((r) => r.version)).toEqual(["v2"]);
  });

  it("aborts on a failed analysis: all traffic back on the stable, the canary stopped", async () => {
    const started = await target();
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: canary([
        { setWeight: 10 },
        { analysis: { templates: ["bad"], args: {} } },
        { setWeight: 100 },
      ]),
      analysis: { bad: jobTemplate("bad", "echo 'error rate too high' >&2; exit 1") },
    });
    await deployFirst(started, v1);
    const load = startLoad(await url(started), { concurrency: 2 });
    const { events, done } = rollout(started, v2, v1);
    const result = await done;
    const stats = await load.stop();
    expect(result.outcome).toBe("aborted");
    expect(result.reason).toMatch(/^analysis bad failed: bad-job failed/);
    expect(stats.failed).toBe(0);
    expect(await releasesOf(await url(started), 10)).toEqual({ v1: 10 });
    expect((await started.target.status()).releases).toEqual([{ version: "v1", desired: 2, ready: 2 }]);
    expect(events.at(-1)).toEqual({ type: "finished", outcome: "aborted", reason: result.reason });
  });

  it("waits at a pause until promoted; a full promotion skips the steps left", async () => {
    const started = await target();
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: canary([
        { setWeight: 30 },
        { pause: {} },
        { setWeight: 60 },
        { pause: {} },
        { setWeight: 90 },
      ]),
    });
    await deployFirst(started, v1);
    const { events, control, done } = rollout(started, v2, v1);
    await until(() => events.some((e) => e.type === "paused"), "the first pause");
    control.promote();
    await until(() => events.filter((e) => e.type === "paused").length === 2, "the second pause");
    control.promote({ full: true });
    expect(await done).toEqual({ outcome: "succeeded" });
    const weights = events.flatMap((e) => (e.type === "traffic" ? [e.split.canaryWeight ?? 0] : []));
    expect(weights).toEqual([30, 60, 0]);
  });

  it("pauses for a person when the analysis is inconclusive, and a person's abort takes it back", async () => {
    const started = await target();
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: canary([{ setWeight: 50 }, { analysis: { templates: ["unsure"], args: {} } }]),
      analysis: {
        unsure: {
          name: "unsure",
          args: [],
          metrics: [
            {
              name: "unsure",
              // The canary answers {"release": "v2"}: both conditions given and neither holds is
              // Argo's inconclusive measurement.
              provider: {
                web: {
                  url: await url(started),
                  headers: { "x-slipway-release": "canary" },
                  jsonPath: "$.release",
                },
              },
              successCondition: 'result == "v3"',
              failureCondition: 'result == "v4"',
            },
          ],
        },
      },
    });
    await deployFirst(started, v1);
    const { events, control, done } = rollout(started, v2, v1);
    await until(() => events.some((e) => e.type === "paused"), "the pause");
    expect(events.find((e) => e.type === "paused")).toMatchObject({
      reason: expect.stringMatching(/inconclusive/),
    });
    control.abort("not sure enough");
    expect(await done).toEqual({ outcome: "aborted", reason: "not sure enough" });
    expect(await releasesOf(await url(started), 10)).toEqual({ v1: 10 });
  });

  it("goes straight to the release on a rollback: no steps, no analysis", async () => {
    const started = await target();
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: canary([{ setWeight: 10 }, { pause: {} }]),
      analysis: { bad: jobTemplate("bad", "exit 1") },
    });
    await deployFirst(started, v1);
    const { events, done } = rollout(started, v2, v1, { mode: "rollback" });
    expect(await done).toEqual({ outcome: "succeeded" });
    expect(events.some((e) => e.type === "paused" || e.type === "analysis")).toBe(false);
  });
});

describe("blue-green", () => {
  it("serves the new release on the preview first, then switches without a failed request", async () => {
    const started = await target({ preview: true });
    const v1 = testRelease("v1");
    const v2 = testRelease("v2", {
      strategy: { kind: "blueGreen", autoPromotion: false, scaleDownDelayMs: 200 },
    });
    await deployFirst(started, v1);
    const load = startLoad(await url(started), { concurrency: 4 });
    const { events, control, done } = rollout(started, v2, v1);
    await until(() => events.some((e) => e.type === "paused"), "waiting for promote");
    const status = await started.target.status();
    expect(await releasesOf(status.previewUrl ?? "", 5)).toEqual({ v2: 5 });
    expect(await releasesOf(status.url ?? "", 5)).toEqual({ v1: 5 });
    control.promote();
    expect(await done).toEqual({ outcome: "succeeded" });
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.byRelease["v2"]).toBeGreaterThan(0);
    expect(await releasesOf(await url(started), 10)).toEqual({ v2: 10 });
    expect((await started.target.status()).releases.map((r) => r.version)).toEqual(["v2"]);
  });
});
