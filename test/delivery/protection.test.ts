import { describe, expect, it } from "vitest";
import type { EnvironmentConfig, FreezeWindow } from "../../src/delivery/model.js";
import { checkProtection, freezeReason } from "../../src/delivery/protection.js";

const HOUR = 3_600_000;

function environment(extra: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return { name: "prod", branches: [], freeze: [], hosts: [{ local: true }], services: {}, ...extra };
}

// Friday 18:00 UTC for 63 hours: the weekend, until Monday 09:00.
const weekend: FreezeWindow = {
  kind: "deny",
  cron: "0 18 * * 5",
  durationMs: 63 * HOUR,
  timezone: "UTC",
  reason: "no deploys over the weekend",
};

describe("freeze windows", () => {
  it("freezes inside a deny window, saying until when and why", () => {
    expect(freezeReason("prod", [weekend], new Date("2026-11-28T12:00:00Z"))).toBe(
      "prod is frozen until 2026-11-30T09:00:00.000Z: no deploys over the weekend",
    );
    // The window opened the evening before: still inside it.
    expect(freezeReason("prod", [weekend], new Date("2026-11-27T18:00:00Z"))).toMatch(/frozen until/);
  });

  it("lets deployments through outside it", () => {
    expect(freezeReason("prod", [weekend], new Date("2026-11-30T09:00:01Z"))).toBeUndefined();
    expect(freezeReason("prod", [weekend], new Date("2026-11-27T17:59:59Z"))).toBeUndefined();
  });

  it("with allow windows, accepts deployments only inside one and names the next", () => {
    // Weekdays 09:00-17:00 UTC.
    const office: FreezeWindow = {
      kind: "allow",
      cron: "0 9 * * 1-5",
      durationMs: 8 * HOUR,
      timezone: "UTC",
    };
    expect(freezeReason("prod", [office], new Date("2026-11-26T10:00:00Z"))).toBeUndefined();
    expect(freezeReason("prod", [office], new Date("2026-11-26T20:00:00Z"))).toBe(
      "prod accepts deployments only in its allowed windows; the next opens 2026-11-27T09:00:00.000Z",
    );
  });

  it("honours the window's time zone", () => {
    const berlinNight: FreezeWindow = {
      kind: "deny",
      cron: "0 22 * * *",
      durationMs: 8 * HOUR,
      timezone: "Europe/Berlin",
    };
    // 22:30 in Berlin (UTC+1 in November) is 21:30 UTC.
    expect(freezeReason("prod", [berlinNight], new Date("2026-11-26T21:30:00Z"))).toMatch(/frozen/);
    expect(freezeReason("prod", [berlinNight], new Date("2026-11-26T20:30:00Z"))).toBeUndefined();
  });
});

describe("an environment's protection", () => {
  it("accepts only the branches it names, and no override changes that", async () => {
    const env = environment({ branches: ["main", "release/*"] });
    const now = new Date("2026-11-26T10:00:00Z");
    expect((await checkProtection({ environment: env, branch: "release/1.2", now })).allowed).toBe(true);
    const feature = await checkProtection({
      environment: env,
      branch: "feature/x",
      now,
      overrideReason: "urgent",
    });
    expect(feature).toEqual({
      allowed: false,
      overridden: false,
      reasons: ["prod accepts deployments from main, release/* only, not from branch feature/x"],
    });
    const unknown = await checkProtection({ environment: env, branch: undefined, now });
    expect(unknown.reasons).toEqual([
      "prod accepts deployments from main, release/* only, not from an unknown branch",
    ]);
  });

  it("lets a freeze be overridden with a reason, and says so", async () => {
    const env = environment({ freeze: [weekend] });
    const now = new Date("2026-11-28T12:00:00Z");
    const blocked = await checkProtection({ environment: env, branch: "main", now });
    expect(blocked.allowed).toBe(false);
    expect(blocked.reasons).toEqual([
      "prod is frozen until 2026-11-30T09:00:00.000Z: no deploys over the weekend",
    ]);
    const overridden = await checkProtection({
      environment: env,
      branch: "main",
      now,
      overrideReason: "fix for INC-42",
    });
    expect(overridden).toMatchObject({ allowed: true, overridden: true });
  });
});
