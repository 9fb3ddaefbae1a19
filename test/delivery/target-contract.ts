import { afterEach, describe, expect, it } from "vitest";
import type { Release } from "../../src/delivery/model.js";
import type { DeployTarget } from "../../src/delivery/target.js";

/**
 * What every deploy target must do, whatever runs the instances (processes on hosts, Kubernetes
 * Deployments): the strategies rely on exactly these behaviours. A target's test file calls this
 * with a way to start the target and to make releases of the test service.
 */
export interface ContractSubject {
  /** A fresh target for one service, and how a test sees where its traffic goes. */
  start(): Promise<StartedSubject>;
  /** A release of the test service that answers with its version in `x-release`. */
  release(version: string, options?: { neverReady?: boolean }): Release;
}

export interface StartedSubject {
  target: DeployTarget;
  /** Which release serves each of `n` requests to the service, or to its blue-green preview. */
  routed(n: number, address?: "service" | "preview"): Promise<Record<string, number>>;
  /** Watches whether the service keeps serving while something happens. */
  watch(): { stop(): Promise<Availability> };
  close(): Promise<void>;
}

export interface Availability {
  /** Requests (or samples) that found nothing serving, or failed. */
  failed: number;
  /** The first failures, described. */
  errors: string[];
  byRelease: Record<string, number>;
}

export function describeTargetContract(name: string, subject: ContractSubject): void {
  describe(`the deploy target contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    const start = async () => {
      const started = await subject.start();
      cleanups.push(started.close);
      return started;
    };

    it("runs the instances asked for and routes the stable release", async () => {
      const { target, routed } = await start();
      const v1 = subject.release("v1");
      await target.scale(v1, 2);
      await target.setTraffic({ stable: "v1" });
      expect((await target.status()).releases).toEqual([{ version: "v1", desired: 2, ready: 2 }]);
      expect(await routed(10)).toEqual({ v1: 10 });
    });

    it("splits traffic by the canary's weight and takes it back", async () => {
      const { target, routed } = await start();
      await target.scale(subject.release("v1"), 2);
      await target.scale(subject.release("v2"), 1);
      await target.setTraffic({ stable: "v1", canary: "v2", canaryWeight: 25 });
      const split = await routed(200);
      // Exactly a quarter where the target counts requests; a target that samples may come close.
      expect(split["v2"]).toBeGreaterThanOrEqual(30);
      expect(split["v2"]).toBeLessThanOrEqual(70);
      expect((split["v1"] ?? 0) + (split["v2"] ?? 0)).toBe(200);

      await target.setTraffic({ stable: "v1" });
      await target.scale(subject.release("v2"), 0);
      expect(await routed(20)).toEqual({ v1: 20 });
      expect((await target.status()).releases.map((r) => r.version)).toEqual(["v1"]);
    });

    it("replaces instances under load without failing a request", async () => {
      const { target, routed, watch } = await start();
      await target.scale(subject.release("v1"), 2);
      await target.setTraffic({ stable: "v1" });
      const load = watch();
      await target.scale(subject.release("v2"), 2);
      await target.setTraffic({ stable: "v1", canary: "v2", canaryWeight: 50 });
      await target.setTraffic({ stable: "v2" });
      await target.scale(subject.release("v1"), 0);
      const stats = await load.stop();
      expect(stats.errors).toEqual([]);
      expect(stats.failed).toBe(0);
      expect(stats.byRelease["v1"]).toBeGreaterThan(0);
      expect(stats.byRelease["v2"]).toBeGreaterThan(0);
      expect(await routed(10)).toEqual({ v2: 10 });
    });

    it("serves a preview at its own address, apart from the stable release", async () => {
      const { target, routed } = await start();
      await target.scale(subject.release("v1"), 1);
      await target.scale(subject.release("v2"), 1);
      await target.setTraffic({ stable: "v1", preview: "v2" });
      expect(await routed(10)).toEqual({ v1: 10 });
      expect(await routed(10, "preview")).toEqual({ v2: 10 });
    });

    it("rejects a scale whose instances never become ready, and the stable keeps serving", async () => {
      const { target, routed } = await start();
      await target.scale(subject.release("v1"), 1);
      await target.setTraffic({ stable: "v1" });
      await expect(target.scale(subject.release("v2", { neverReady: true }), 1)).rejects.toThrow();
      expect(await routed(10)).toEqual({ v1: 10 });
    });
  });
}
