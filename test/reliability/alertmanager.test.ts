import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadSloSpecs } from "../../src/reliability/index.js";
import { sloAlertmanagerConfig } from "../../src/reliability/alertmanager.js";
import type { SloSet } from "../../src/reliability/model.js";

/**
 * The generated routing checked by the real Alertmanager configuration loader and router
 * (`amtool`, from Debian's `prometheus-alertmanager` package): `check-config` validates the file
 * and `config routes test` says which receiver an alert with given labels reaches.
 */

const run = promisify(execFile);
const FIXTURE = "test/fixtures/slo/checkout.yaml";

let dir: string;
let set: SloSet;

beforeAll(async () => {
  try {
    await run("amtool", ["--version"]);
  } catch (error) {
    throw new Error("amtool not found: install it with `apt-get install -y prometheus-alertmanager`", {
      cause: error,
    });
  }
  dir = await mkdtemp(join(tmpdir(), "slipway-am-"));
  set = loadSloSpecs(await readFile(FIXTURE, "utf8"), FIXTURE);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function writeConfig(text: string): Promise<string> {
  const file = join(dir, `alertmanager-${files++}.yml`);
  await writeFile(file, text);
  return file;
}

async function amtool(...args: string[]): Promise<{ ok: boolean; stdout: string; output: string }> {
  try {
    const { stdout, stderr } = await run("amtool", args);
    return { ok: true, stdout, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? "", output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/**
 * The receiver(s) Alertmanager's router picks for an alert with these labels. Only stdout: amtool
 * warns on stderr that --config.file overrides --alertmanager.url.
 */
async function route(file: string, ...labels: string[]): Promise<string> {
  const result = await amtool("config", "routes", "test", `--config.file=${file}`, ...labels);
  expect(result.ok, result.output).toBe(true);
  return result.stdout.trim();
}

describe("sloAlertmanagerConfig", () => {
  it("writes a complete alertmanager.yml that amtool check-config accepts", async () => {
    const file = await writeConfig(sloAlertmanagerConfig(set, { full: true }));
    const result = await amtool("check-config", file);
    expect(result.output).toContain("SUCCESS");
    expect(result.output).toContain(" - 3 receivers");
    expect(result.ok).toBe(true);
  });

  it("routes page alerts to the page receiver and ticket alerts to the ticket receiver", async () => {
    const file = await writeConfig(
      sloAlertmanagerConfig(set, { full: true, pageReceiver: "oncall", ticketReceiver: "jira" }),
    );
    const slo = [
      "sloth_service=checkout",
      "sloth_slo=requests-availability",
      "alertname=CheckoutHighErrorRate",
    ];
    expect(await route(file, "sloth_severity=page", ...slo)).toBe("oncall");
    expect(await route(file, "sloth_severity=ticket", ...slo)).toBe("jira");
    // Not an SLO alert, or another team's SLO: left to the rest of the configuration.
    expect(await route(file, "alertname=Watchdog")).toBe("default");
    expect(await route(file, "sloth_severity=page", "sloth_service=search")).toBe("default");
    // payments-worker has no enabled alert, so no route claims it.
    expect(await route(file, "sloth_severity=page", "sloth_service=payments-worker")).toBe("default");
  });

  it("groups per SLO with short intervals for pages and long ones for tickets", () => {
    const config = parse(sloAlertmanagerConfig(set, { full: true })) as {
      route: { routes: Array<{ group_by: string[]; routes: Array<Record<string, unknown>> }> };
    };
    const subtree = config.route.routes[0];
    expect(subtree?.group_by).toEqual(["sloth_service", "sloth_slo"]);
    expect(subtree?.routes).toEqual([
      expect.objectContaining({ receiver: "slo-page", group_wait: "30s", repeat_interval: "1h" }),
      expect.objectContaining({ receiver: "slo-ticket", group_wait: "5m", repeat_interval: "24h" }),
    ]);
  });

  it("writes a snippet that, merged into an existing alertmanager.yml, passes amtool", async () => {
    const snippet = parse(sloAlertmanagerConfig(set)) as { routes: unknown[]; receivers: unknown[] };
    expect(Object.keys(snippet)).toEqual(["routes", "receivers"]);
    const existing = {
      route: {
        receiver: "team",
        routes: [...snippet.routes, { matchers: ['severity="info"'], receiver: "team" }],
      },
      receivers: [
        { name: "team", webhook_configs: [{ url: "http://127.0.0.1:5001/" }] },
        ...snippet.receivers,
      ],
    };
    const file = await writeConfig(stringify(existing));
    expect((await amtool("check-config", file)).ok).toBe(true);
    expect(await route(file, "sloth_severity=page", "sloth_service=checkout")).toBe("slo-page");
    expect(await route(file, "sloth_severity=ticket", "sloth_service=checkout")).toBe("slo-ticket");
  });

  it("matches service names literally, not as regular expressions", async () => {
    const dotted = { ...set, slos: set.slos.map((slo) => ({ ...slo, service: "checkout.eu" })) };
    const file = await writeConfig(sloAlertmanagerConfig(dotted, { full: true }));
    expect(await route(file, "sloth_severity=page", "sloth_service=checkout.eu")).toBe("slo-page");
    expect(await route(file, "sloth_severity=page", "sloth_service=checkoutXeu")).toBe("default");
  });

  it("shares one receiver when pages and tickets go to the same place", async () => {
    const text = sloAlertmanagerConfig(set, { full: true, pageReceiver: "team", ticketReceiver: "team" });
    const file = await writeConfig(text);
    expect((await amtool("check-config", file)).ok).toBe(true);
    expect((parse(text) as { receivers: unknown[] }).receivers).toEqual([
      { name: "default" },
      { name: "team" },
    ]);
  });

  it("refuses a set without any enabled alert", () => {
    const silent = { ...set, slos: set.slos.filter((slo) => slo.service === "payments-worker") };
    expect(() => sloAlertmanagerConfig(silent, {})).toThrow(expect.objectContaining({ code: "USAGE" }));
  });
});
