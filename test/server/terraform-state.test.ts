import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { cli } from "../support/cli.js";
import { freshDatabase } from "../support/pg-database.js";
import { api, eventually, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";
import { offlineTerraformHome, terraformBinary } from "../support/terraform.js";

/*
 * The real terraform binary against a real `slipway serve`, with configurations of
 * terraform_data resources only: nothing is downloaded, and the CLI configuration allows no
 * provider source but an empty directory.
 */

const TERRAFORM = terraformBinary();
const { home, cliConfig } = offlineTerraformHome("slipway-tf-home-");

/*
 * `round` changes what the state holds; `gate`, when set, makes the apply wait in a provisioner
 * until that file exists, holding the state lock for as long as the test wants.
 */
const RESOURCES = `
variable "round" {
  type    = number
  default = 1
}
variable "gate" {
  type    = string
  default = ""
}
resource "terraform_data" "app" {
  input = "round-\${var.round}"
}
resource "terraform_data" "gate" {
  triggers_replace = var.round
  provisioner "local-exec" {
    command = var.gate == "" ? "true" : "while [ ! -e '\${var.gate}' ]; do sleep 0.1; done"
  }
}
output "round" {
  value = terraform_data.app.output
}
`;

interface TfResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A working directory whose http backend is the server; `gitlab` configures locking as GitLab documents it. */
function workdir(
  url: string,
  project: string,
  state: string,
  style: "terraform" | "gitlab" = "terraform",
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-"));
  const address = `${url}/api/terraform/${project}/${state}`;
  const locking =
    style === "gitlab"
      ? `lock_address = "${address}/lock"\n    lock_method = "POST"\n    unlock_address = "${address}/lock"\n    unlock_method = "DELETE"`
      : `lock_address = "${address}"\n    unlock_address = "${address}"`;
  writeFileSync(
    path.join(dir, "main.tf"),
    `terraform {\n  backend "http" {\n    address = "${address}"\n    ${locking}\n    username = "terraform"\n  }\n}\n${RESOURCES}`,
  );
  return dir;
}

/** Starts terraform in `dir` with `token` as the backend password (TF_HTTP_PASSWORD), in its own process group. */
function startTerraform(
  dir: string,
  token: string,
  args: string[],
): { child: ChildProcess; done: Promise<TfResult> } {
  const child = spawn(TERRAFORM, [...args, "-no-color"], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      TF_HTTP_PASSWORD: token,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<TfResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
  return { child, done };
}

function terraform(dir: string, token: string, ...args: string[]): Promise<TfResult> {
  return startTerraform(dir, token, args).done;
}

const apply = (dir: string, token: string, round: number, ...more: string[]) =>
  terraform(dir, token, "apply", "-auto-approve", "-input=false", "-var", `round=${round}`, ...more);

interface VersionView {
  version: number;
  serial: number;
  sizeBytes: number;
  lineage: string;
  sha256: string;
  createdBy: string;
  rolledBackFrom: number | null;
  forced: boolean;
  current: boolean;
}

interface StateView {
  name: string;
  version: number | null;
  serial: number | null;
  lock: { id: string; lockedBy: string; info: { ID: string; Who?: string } } | null;
}

interface AuditView {
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

describe("terraform against slipway serve's http backend", () => {
  let server: ServerProcess;
  const tokens: Record<"viewer" | "developer" | "operator" | "otherOperator", string> = {
    viewer: "",
    developer: "",
    operator: "",
    otherOperator: "",
  };

  const versions = async (state: string) => {
    const listed = await api<VersionView[]>(
      server.url,
      tokens.operator,
      "GET",
      `/api/terraform/infra/${state}/versions`,
    );
    expect(listed.status).toBe(200);
    return listed.body;
  };
  const stateOf = async (state: string) => {
    const listed = await api<StateView[]>(server.url, tokens.viewer, "GET", "/api/terraform/infra");
    expect(listed.status).toBe(200);
    return listed.body.find((s) => s.name === state);
  };
  const auditOf = async (state: string) => {
    const log = await api<AuditView[]>(server.url, server.adminToken, "GET", "/api/audit?limit=1000");
    expect(log.status).toBe(200);
    return log.body.filter((e) => e.target === `infra/${state}`).reverse();
  };
  /** How many LOCK-style requests of a route the server refused with 423, from its own metrics. */
  const refusedLocks = async (method: string, route: string) => {
    const metrics = await api<string>(server.url, server.adminToken, "GET", "/metrics");
    const line = metrics.body
      .split("\n")
      .find(
        (l) =>
          l.startsWith("slipway_http_request_duration_seconds_count{") &&
          l.includes(`method="${method}"`) &&
          l.includes(`route="${route}"`) &&
          l.includes('status_code="423"'),
      );
    return line ? Number(line.split(" ").at(-1)) : 0;
  };
  const lockHeld = (state: string) =>
    eventually(async () => (await stateOf(state))?.lock ?? undefined, 20_000, `a lock on ${state}`);

  beforeAll(async () => {
    server = await startServe({});
    for (const name of ["infra", "other"]) {
      const added = await api(server.url, server.adminToken, "POST", "/api/projects", {
        name,
        repo: gitRepo({ "README.md": name }),
      });
      expect(added.status).toBe(201);
    }
    const token = async (name: string, role: string, project?: string) => {
      const created = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
        name,
        role,
        ...(project ? { project } : {}),
      });
      expect(created.status).toBe(201);
      return created.body.token;
    };
    tokens.viewer = await token("viewer", "viewer");
    tokens.developer = await token("developer", "developer");
    tokens.operator = await token("ops", "operator");
    tokens.otherOperator = await token("other-ops", "operator", "other");
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("keeps a version per apply, and serializes concurrent applies with the lock", async () => {
    const alice = workdir(server.url, "infra", "network");
    const bob = workdir(server.url, "infra", "network", "gitlab");
    for (const dir of [alice, bob]) {
      const init = await terraform(dir, tokens.operator, "init", "-input=false");
      expect(init.status, init.stderr).toBe(0);
    }
    const plan = await terraform(alice, tokens.operator, "plan", "-input=false");
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy");
    expect(await stateOf("network")).toMatchObject({ version: null, lock: null });

    const first = await apply(alice, tokens.operator, 1);
    expect(first.status, first.stderr).toBe(0);
    expect((await versions("network")).map((v) => [v.version, v.createdBy, v.current])).toEqual([
      [1, "ops", true],
    ]);
    const second = await apply(bob, tokens.operator, 2);
    expect(second.status, second.stderr).toBe(0);
    const afterTwo = await versions("network");
    expect(afterTwo.map((v) => v.version)).toEqual([2, 1]);
    expect(afterTwo[0]!.serial).toBeGreaterThan(afterTwo[1]!.serial);
    expect(afterTwo[0]!.lineage).toBe(afterTwo[1]!.lineage);

    // Alice's apply holds the lock until the test opens her gate.
    const gate = path.join(alice, "gate-open");
    const held = startTerraform(alice, tokens.operator, [
      "apply",
      "-auto-approve",
      "-input=false",
      "-var",
      "round=3",
      "-var",
      `gate=${gate}`,
    ]);
    try {
      const lock = await lockHeld("network");
      expect(lock.lockedBy).toBe("ops");
      expect(lock.info.ID).toBe(lock.id);

      // Bob gives up after a second, told the holder's lock ID.
      const impatient = await apply(bob, tokens.operator, 4, "-lock-timeout=1s");
      expect(impatient.status).toBe(1);
      expect(impatient.stderr).toContain("Error acquiring the state lock");
      expect(impatient.stderr).toContain(`ID=${lock.id}`);

      // With a longer timeout he waits: refused at least once more while Alice holds it, then through.
      const route = "/api/terraform/:name/:state/lock";
      const refusedBefore = await refusedLocks("POST", route);
      const patient = startTerraform(bob, tokens.operator, [
        "apply",
        "-auto-approve",
        "-input=false",
        "-var",
        "round=4",
        "-lock-timeout=120s",
      ]);
      await eventually(
        async () => ((await refusedLocks("POST", route)) > refusedBefore ? true : undefined),
        20_000,
        "Bob's waiting apply to be refused the lock",
      );
      expect((await stateOf("network"))?.lock?.id).toBe(lock.id);
      writeFileSync(gate, "");
      const alices = await held.done;
      expect(alices.status, alices.stderr).toBe(0);
      const bobs = await patient.done;
      expect(bobs.status, bobs.stderr).toBe(0);
    } finally {
      writeFileSync(gate, "");
      held.child.kill();
    }

    const all = await versions("network");
    expect(all.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect(all[0]!.serial).toBeGreaterThan(all[1]!.serial);
    const output = await terraform(alice, tokens.operator, "output", "-raw", "round");
    expect(output.stdout).toBe("round-4");
    expect(await stateOf("network")).toMatchObject({ version: 4, lock: null });

    // The audit log tells the same story: the plan's lock, then four applies one after the other.
    const story = (await auditOf("network")).map((e) => e.action.replace("terraform.", ""));
    const cycle = ["lock", "write", "unlock"];
    expect(story).toEqual(["lock", "unlock", ...cycle, ...cycle, ...cycle, ...cycle]);
  });

  it("force-unlocks the lock of a killed apply, for operators only", async () => {
    const dir = workdir(server.url, "infra", "dns");
    expect((await terraform(dir, tokens.operator, "init", "-input=false")).status).toBe(0);
    const gate = path.join(dir, "gate-open");
    const run = startTerraform(dir, tokens.operator, [
      "apply",
      "-auto-approve",
      "-input=false",
      "-var",
      `gate=${gate}`,
    ]);
    const lock = await lockHeld("dns");
    // Killed mid-apply, as a CI job is: the lock stays.
    process.kill(-(run.child.pid ?? 0), "SIGKILL");
    await run.done;
    writeFileSync(gate, "");
    expect((await stateOf("dns"))?.lock?.id).toBe(lock.id);

    const refused = await terraform(dir, tokens.developer, "force-unlock", "-force", lock.id);
    expect(refused.status).toBe(1);
    expect((await stateOf("dns"))?.lock?.id).toBe(lock.id);

    const forced = await terraform(dir, tokens.operator, "force-unlock", "-force", lock.id);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("successfully unlocked");
    expect((await stateOf("dns"))?.lock).toBeNull();
    const entry = (await auditOf("dns")).find((e) => e.action === "terraform.force-unlock");
    expect(entry).toMatchObject({ actor: "user:ops", details: { released: lock.id, heldBy: "ops" } });

    const after = await apply(dir, tokens.operator, 2);
    expect(after.status, after.stderr).toBe(0);
  });

  it("rolls back with slipway tf state, and refuses a state whose serial goes backwards", async () => {
    const dir = workdir(server.url, "infra", "app");
    expect((await terraform(dir, tokens.operator, "init", "-input=false")).status).toBe(0);
    for (const round of [1, 2, 3]) expect((await apply(dir, tokens.operator, round)).status).toBe(0);
    const slipway = (...args: string[]) =>
      cli(dir, [
        "tf",
        "state",
        ...args,
        "--server",
        server.url,
        "--token",
        tokens.operator,
        "--project",
        "infra",
        "--state",
        "app",
      ]);

    const listed = slipway("versions");
    expect(listed.status, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split("\n").slice(1);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(["3", "2", "1"]);
    expect(rows[0]).toContain("current");

    const shown = slipway("show", "--version", "1");
    expect(shown.status, shown.stderr).toBe(0);
    const first = JSON.parse(shown.stdout) as { serial: number; outputs: { round: { value: string } } };
    expect(first.outputs.round.value).toBe("round-1");
    // Exactly the bytes terraform wrote.
    const stored = (await versions("app")).find((v) => v.version === 1);
    expect(createHash("sha256").update(shown.stdout).digest("hex")).toBe(stored?.sha256);

    const rolled = slipway("rollback", "--version", "1");
    expect(rolled.status, rolled.stderr).toBe(0);
    expect(rolled.stdout).toMatch(/rolled back to version 1: now version 4/);
    const output = await terraform(dir, tokens.operator, "output", "-raw", "round");
    expect(output.stdout).toBe("round-1");
    const [rollback, before] = await versions("app");
    expect(rollback).toMatchObject({ version: 4, rolledBackFrom: 1, current: true, createdBy: "ops" });
    expect(rollback!.serial).toBe(before!.serial + 1);
    expect(slipway("versions").stdout).toContain("rollback to 1");
    expect((await auditOf("app")).at(-1)).toMatchObject({
      action: "terraform.rollback",
      details: { from: 1, version: 4 },
    });

    // The next apply builds on the rolled-back state.
    const next = await apply(dir, tokens.operator, 5);
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/round-1" -> "round-5"/);

    // An old state pushed over a newer one is refused by the server, even with push -force.
    const old = slipway("show", "--version", "2");
    writeFileSync(path.join(dir, "old.tfstate"), old.stdout);
    const pushed = await terraform(dir, tokens.operator, "state", "push", "-force", "old.tfstate");
    expect(pushed.status).toBe(1);
    expect(pushed.stderr).toContain("409");
    expect((await versions("app")).length).toBe(5);

    // Refusals by serial and lineage name the conflict; ?force=true writes anyway.
    const post = (body: string, query = "") =>
      fetch(`${server.url}/api/terraform/infra/app${query}`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`anyone:${tokens.operator}`).toString("base64")}`,
          "content-type": "application/json",
        },
        body,
      });
    const backwards = await post(old.stdout);
    expect(backwards.status).toBe(409);
    expect(((await backwards.json()) as { error: string }).error).toMatch(
      /serial \d+ is not after the current serial/,
    );
    const foreign = JSON.stringify({ ...JSON.parse(old.stdout), serial: 100, lineage: randomUUID() });
    const otherLineage = await post(foreign);
    expect(otherLineage.status).toBe(409);
    expect(((await otherLineage.json()) as { error: string }).error).toContain("lineage");
    const forced = await post(old.stdout, "?force=true");
    expect(forced.status).toBe(200);
    expect((await versions("app"))[0]).toMatchObject({ version: 6, forced: true, current: true });
  });

  it("lets developers read state, operators lock and write, and refuses viewers, other projects and wrong tokens", async () => {
    const dir = workdir(server.url, "infra", "access");
    expect((await terraform(dir, tokens.operator, "init", "-input=false")).status).toBe(0);
    expect((await apply(dir, tokens.operator, 1)).status).toBe(0);

    // A developer plans without taking the lock, and cannot take it.
    const plan = await terraform(
      dir,
      tokens.developer,
      "plan",
      "-input=false",
      "-lock=false",
      "-var",
      "round=2",
    );
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: 1 to add, 1 to change, 1 to destroy");
    const applied = await apply(dir, tokens.developer, 2);
    expect(applied.status).toBe(1);
    expect(applied.stderr).toContain("invalid auth");

    const wrong = await terraform(dir, "slw_not-a-token", "plan", "-input=false", "-lock=false");
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("requires auth");

    const call = (token: string | undefined, method: string, route: string, body?: unknown) =>
      api(server.url, token, method, route, body);
    const lockInfo = { ID: randomUUID(), Operation: "OperationTypeApply", Who: "test" };
    expect((await call(tokens.viewer, "GET", "/api/terraform/infra/access")).status).toBe(403);
    expect((await call(tokens.developer, "GET", "/api/terraform/infra/access")).status).toBe(200);
    expect((await call(tokens.developer, "LOCK", "/api/terraform/infra/access", lockInfo)).status).toBe(403);
    expect((await call(tokens.developer, "UNLOCK", "/api/terraform/infra/access")).status).toBe(403);
    expect(
      (await call(tokens.developer, "POST", "/api/terraform/infra/access/versions/1/rollback", {})).status,
    ).toBe(403);
    expect((await call(tokens.otherOperator, "GET", "/api/terraform/infra/access")).status).toBe(403);
    expect((await call(tokens.otherOperator, "LOCK", "/api/terraform/infra/access", lockInfo)).status).toBe(
      403,
    );
    expect((await call(tokens.otherOperator, "LOCK", "/api/terraform/other/access", lockInfo)).status).toBe(
      200,
    );
    expect((await call(undefined, "GET", "/api/terraform/infra/access")).status).toBe(401);
    expect((await call("slw_wrong", "GET", "/api/terraform/infra/access")).status).toBe(401);
    expect((await call(tokens.operator, "GET", "/api/terraform/nowhere/access")).status).toBe(404);
    expect((await call(tokens.viewer, "GET", "/api/terraform/infra/access/versions")).status).toBe(200);
  });
});

describe("fifty lockers at once", () => {
  for (const kind of ["sqlite", "postgres"] as const) {
    it(`let exactly one hold the lock and lose no update (${kind})`, async () => {
      const server = await startServe(
        kind === "postgres" ? { database: await freshDatabase("tfstate_lockers") } : {},
      );
      try {
        const added = await api(server.url, server.adminToken, "POST", "/api/projects", {
          name: "infra",
          repo: gitRepo({ "README.md": "x" }),
        });
        expect(added.status).toBe(201);
        const url = `${server.url}/api/terraform/infra/counter`;
        const auth = `Basic ${Buffer.from(`terraform:${server.adminToken}`).toString("base64")}`;
        const send = async (method: string, body?: string, query = "") => {
          const response = await fetch(`${url}${query}`, {
            method,
            headers: {
              authorization: auth,
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            ...(body === undefined ? {} : { body }),
          });
          return { status: response.status, text: await response.text() };
        };
        const lockInfo = (id: string) => JSON.stringify({ ID: id, Operation: "OperationTypeApply", Who: id });

        const ids = Array.from({ length: 50 }, (_, i) => `locker-${i}`);
        const answers = await Promise.all(
          ids.map(async (id) => {
            const response = await send("LOCK", lockInfo(id));
            return { id, status: response.status, body: JSON.parse(response.text) as { ID: string } };
          }),
        );
        const winners = answers.filter((a) => a.status === 200);
        expect(winners.length).toBe(1);
        const winner = winners[0]!.id;
        expect(answers.filter((a) => a.status === 423).length).toBe(49);
        for (const a of answers) expect(a.body.ID).toBe(winner);
        expect((await send("UNLOCK", lockInfo(winner))).status).toBe(200);

        // Each client locks (retrying while refused), reads the counter, writes it plus one, unlocks.
        const lineage = randomUUID();
        await Promise.all(
          ids.map(async (id) => {
            for (;;) {
              const locked = await send("LOCK", lockInfo(id));
              if (locked.status === 200) break;
              expect(locked.status).toBe(423);
              await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 30));
            }
            const current = await send("GET");
            const state =
              current.status === 200
                ? (JSON.parse(current.text) as { serial: number; outputs: { n: { value: number } } })
                : { serial: 0, outputs: { n: { value: 0 } } };
            const next = {
              version: 4,
              serial: state.serial + 1,
              lineage,
              outputs: { n: { value: state.outputs.n.value + 1 } },
            };
            const written = await send("POST", JSON.stringify(next), `?ID=${id}`);
            expect(written.status, written.text).toBe(200);
            expect((await send("UNLOCK", lockInfo(id))).status).toBe(200);
          }),
        );
        const final = JSON.parse((await send("GET")).text) as {
          serial: number;
          outputs: { n: { value: number } };
        };
        expect(final.outputs.n.value).toBe(50);
        expect(final.serial).toBe(50);
        const history = await api<VersionView[]>(
          server.url,
          server.adminToken,
          "GET",
          "/api/terraform/infra/counter/versions",
        );
        expect(history.body.map((v) => v.serial)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
      } finally {
        await server.stop();
      }
    });
  }
});

describe("state at rest and in logs", () => {
  it("is encrypted in the store and never written to the log or the audit log", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-secret-"));
    const log = new PassThrough();
    let logged = "";
    log.on("data", (chunk: Buffer) => (logged += chunk.toString()));
    const server = await startServer({
      dataDir,
      port: 0,
      runners: 0,
      version: "test",
      logger: createLogger({ level: "trace", destination: log }),
    });
    const secret = `hunter2-${randomUUID()}`;
    try {
      const admin = server.adminToken ?? "";
      expect(
        (
          await api(server.url, admin, "POST", "/api/projects", {
            name: "infra",
            repo: gitRepo({ "a.txt": "a" }),
          })
        ).status,
      ).toBe(201);
      const state = (serial: number, lineage = "l-1") =>
        JSON.stringify({
          version: 4,
          serial,
          lineage,
          outputs: { password: { value: secret, sensitive: true } },
        });
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${server.url}/api/terraform/infra/db`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", ...headers },
          body,
        });
      expect((await post(state(1))).status).toBe(200);
      // Refusals of every kind, which a careless handler would log with the body.
      expect((await post(state(1, "l-2"))).status).toBe(409);
      expect((await post(state(0))).status).toBe(409);
      expect((await post(state(2), { "content-md5": "AAAAAAAAAAAAAAAAAAAAAA==" })).status).toBe(400);
      expect((await post(`${state(2)}x`)).status).toBe(400);
      const read = await fetch(`${server.url}/api/terraform/infra/db`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(await read.text()).toContain(secret);
      const audit = await api(server.url, admin, "GET", "/api/audit?limit=100");
      expect(JSON.stringify(audit.body)).toContain("terraform.write");
      expect(JSON.stringify(audit.body)).not.toContain(secret);
    } finally {
      await server.close();
    }
    expect(logged).not.toContain(secret);
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith("slipway.db"))) {
      expect(readFileSync(path.join(dataDir, file)).includes(secret), file).toBe(false);
    }
  });
});

describe("slipway serve --tf-keep-versions and slipway tf state list", () => {
  for (const kind of ["sqlite", "postgres"] as const) {
    it(`keeps the newest versions of each state, audits what it prunes, and lists states (${kind})`, async () => {
      const server = await startServe({
        ...(kind === "postgres" ? { database: await freshDatabase("tfstate_prune") } : {}),
        extraArgs: ["--tf-keep-versions", "2"],
      });
      try {
        const admin = server.adminToken;
        const added = await api(server.url, admin, "POST", "/api/projects", {
          name: "infra",
          repo: gitRepo({ "README.md": "x" }),
        });
        expect(added.status).toBe(201);
        const dir = workdir(server.url, "infra", "network");
        expect((await terraform(dir, admin, "init", "-input=false")).status).toBe(0);
        for (const round of [1, 2, 3, 4]) {
          const applied = await apply(dir, admin, round);
          expect(applied.status, applied.stderr).toBe(0);
        }
        const versions = async () =>
          (await api<VersionView[]>(server.url, admin, "GET", "/api/terraform/infra/network/versions")).body;
        const kept = await versions();
        const newest = kept[0]!.version;
        expect(newest).toBeGreaterThanOrEqual(4);
        expect(kept.map((v) => [v.version, v.current])).toEqual([
          [newest, true],
          [newest - 1, false],
        ]);
        expect((await terraform(dir, admin, "output", "-raw", "round")).stdout).toBe("round-4");

        const log = await api<AuditView[]>(server.url, admin, "GET", "/api/audit?limit=1000");
        const prunes = log.body.filter((e) => e.action === "terraform.prune").reverse();
        expect(prunes.every((e) => e.target === "infra/network" && e.details.keep === 2)).toBe(true);
        expect(prunes.flatMap((e) => e.details.pruned as number[])).toEqual(
          Array.from({ length: newest - 2 }, (_, i) => i + 1),
        );

        const state = (...args: string[]) =>
          cli(dir, ["tf", "state", ...args, "--server", server.url, "--token", admin, "--project", "infra"]);
        // A pruned version is gone; a kept one rolls back, and the rollback prunes in turn.
        const gone = state("rollback", "--state", "network", "--version", "1");
        expect(gone.status).not.toBe(0);
        expect(gone.stderr).toContain("no version 1 of infra/network");
        const rolled = state("rollback", "--state", "network", "--version", String(newest - 1));
        expect(rolled.status, rolled.stderr).toBe(0);
        expect((await versions()).map((v) => v.version)).toEqual([newest + 1, newest]);
        expect((await terraform(dir, admin, "output", "-raw", "round")).stdout).toBe("round-3");
        const afterRollback = await api<AuditView[]>(server.url, admin, "GET", "/api/audit?limit=5");
        expect(afterRollback.body.find((e) => e.action === "terraform.prune")?.details.pruned).toEqual([
          newest - 1,
        ]);

        // Listing: a second state, locked by someone, and the first one's current version.
        const lockInfo = { ID: "lock-1", Operation: "OperationTypeApply", Who: "alice@laptop" };
        expect((await api(server.url, admin, "LOCK", "/api/terraform/infra/dns", lockInfo)).status).toBe(200);
        const listed = state("list");
        expect(listed.status, listed.stderr).toBe(0);
        const [header, ...rows] = listed.stdout.trim().split("\n");
        expect(header).toMatch(/^STATE\s+VERSION\s+SERIAL\s+SIZE\s+UPDATED\s+BY\s+LOCKED BY$/);
        const current = (await versions())[0]!;
        expect(rows).toHaveLength(2);
        expect(rows[0]).toMatch(/^dns\s+-\s+-\s+-\s+-\s+-\s+admin \(alice@laptop\) since \d{4}-\d\d-\d\dT/);
        expect(rows[1]).toMatch(
          new RegExp(
            `^network\\s+${current.version}\\s+${current.serial}\\s+${current.sizeBytes}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+admin\\s+-$`,
          ),
        );
        const json = state("list", "--json");
        expect(json.status, json.stderr).toBe(0);
        expect(JSON.parse(json.stdout)).toMatchObject([
          { name: "dns", version: null, sizeBytes: null, lock: { id: "lock-1", lockedBy: "admin" } },
          {
            name: "network",
            version: current.version,
            serial: current.serial,
            sizeBytes: current.sizeBytes,
            lock: null,
          },
        ]);
      } finally {
        await server.stop();
      }
    }, 180_000);
  }
});
