import { afterEach, describe, expect, it } from "vitest";
import { hostsSubject, startHostsTarget, testRelease, releasesOf } from "../support/delivery.js";
import { describeTargetContract } from "./target-contract.js";

describeTargetContract("hosts (local processes)", {
  async start() {
    const started = await startHostsTarget({ preview: true });
    return hostsSubject(started);
  },
  release: (version, options) =>
    testRelease(version, { ...(options?.neverReady ? { neverReady: true } : {}) }),
});

describe("the hosts target", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("counts each release's answers in its metrics, labelled with the environment", async () => {
    const started = await startHostsTarget({ environment: "staging" });
    cleanups.push(started.close);
    const { target } = started;
    await target.scale(testRelease("v1"), 1);
    await target.scale(testRelease("v2", { errorRate: 0.5 }), 1);
    await target.setTraffic({ stable: "v1", canary: "v2", canaryWeight: 50 });
    const seen = await releasesOf((await target.status()).url ?? "", 40);
    expect(seen["v1"]).toBe(20);
    const text = await started.registry.metrics();
    const count = (release: string, code: string) => {
      const line = text
        .split("\n")
        .find(
          (l) =>
            l.startsWith("slipway_proxy_requests_total{") &&
            l.includes(`release="${release}"`) &&
            l.includes(`code="${code}"`) &&
            l.includes(`environment="staging"`),
        );
      return line === undefined ? 0 : Number(line.split(" ").at(-1));
    };
    expect(count("v1", "200")).toBe(20);
    expect(count("v2", "500")).toBe(10);
    expect(count("v2", "200")).toBe(10);
  });
});
