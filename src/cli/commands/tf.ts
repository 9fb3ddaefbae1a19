import { EnvironmentError, UsageError } from "../../errors/index.js";
import { driftedResourceLine } from "../../terraform/index.js";

/**
 * `slipway tf state ...` and `slipway tf drift-status`: the Terraform states a Slipway server
 * keeps, their versions, and the drift status its runs recorded.
 */

interface ServerFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

export interface TfProjectFlags extends ServerFlags {
  project: string;
}

export interface TfStateFlags extends TfProjectFlags {
  state: string;
  version?: number;
  lockId?: string;
}

interface StateView {
  name: string;
  version: number | null;
  serial: number | null;
  sizeBytes: number | null;
  updatedAt: number | null;
  updatedBy: string | null;
  lock: {
    id: string;
    lockedBy: string;
    lockedAt: number;
    info: { Who?: unknown; Operation?: unknown };
  } | null;
}

interface DriftedResourceView {
  address: string;
  action: string;
  attributes: string[];
}

interface DriftView {
  project: string;
  drifted: boolean;
  workspaces: {
    dir: string;
    workspace: string;
    drifted: boolean;
    since: number;
    checkedAt: number;
    checkedBy: string;
    run: { id: string; number: number | null };
    job: string;
    report: {
      changedOutside: DriftedResourceView[];
      configurationChanges: DriftedResourceView[];
      outputs: string[];
    } | null;
  }[];
}

interface VersionView {
  version: number;
  serial: number;
  lineage: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
  createdBy: string;
  rolledBackFrom: number | null;
  forced: boolean;
  current: boolean;
}

/** The project's states: current version, serial, size, who holds the lock, when last written. */
export async function tfStateListCommand(flags: TfProjectFlags): Promise<void> {
  const states = JSON.parse(
    await request(flags, "GET", `/api/terraform/${encodeURIComponent(flags.project)}`),
  ) as StateView[];
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
    return;
  }
  if (states.length === 0) {
    process.stdout.write(
      `${flags.project} has no Terraform state yet (a backend address is /api/terraform/${flags.project}/STATE)\n`,
    );
    return;
  }
  const rows = states.map((s) => [
    s.name,
    s.version === null ? "-" : String(s.version),
    s.serial === null ? "-" : String(s.serial),
    s.sizeBytes === null ? "-" : String(s.sizeBytes),
    s.updatedAt === null ? "-" : new Date(s.updatedAt).toISOString(),
    s.updatedBy ?? "-",
    s.lock === null ? "-" : lockHolder(s.lock),
  ]);
  process.stdout.write(table(["STATE", "VERSION", "SERIAL", "SIZE", "UPDATED", "BY", "LOCKED BY"], rows));
}

/** Each directory and workspace with its drift status, since when, and the run that decided it. */
export async function tfDriftStatusCommand(flags: TfProjectFlags): Promise<void> {
  const status = JSON.parse(
    await request(flags, "GET", `/api/projects/${encodeURIComponent(flags.project)}/drift`),
  ) as DriftView;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  if (status.workspaces.length === 0) {
    process.stdout.write(
      `no drift status for ${flags.project} yet: a terraform-drift step of a server run records it\n`,
    );
    return;
  }
  const server = (flags.server ?? "").replace(/\/+$/, "");
  const rows = status.workspaces.map((w) => [
    w.dir,
    w.workspace,
    w.drifted ? "DRIFTED" : "clean",
    new Date(w.since).toISOString(),
    `${new Date(w.checkedAt).toISOString()} (${w.checkedBy === "terraform-plan" ? "plan" : "drift check"})`,
    `${w.run.number === null ? "" : `#${w.run.number} `}${server}/api/runs/${w.run.id}`,
  ]);
  const lines = table(["DIR", "WORKSPACE", "STATUS", "SINCE", "CHECKED", "RUN"], rows).split("\n");
  const out: string[] = [lines[0] ?? ""];
  status.workspaces.forEach((w, i) => {
    out.push(lines[i + 1] ?? "");
    if (!w.drifted || w.report === null) return;
    if (w.report.changedOutside.length > 0) {
      out.push("    changed outside Terraform:");
      for (const r of w.report.changedOutside) out.push(`      ${driftedResourceLine(r)}`);
    }
    if (w.report.configurationChanges.length > 0) {
      out.push("    the configuration would change:");
      for (const r of w.report.configurationChanges) out.push(`      ${driftedResourceLine(r)}`);
    }
    if (w.report.outputs.length > 0)
      out.push(`    outputs that would change: ${w.report.outputs.join(", ")}`);
  });
  process.stdout.write(`${out.join("\n")}\n`);
}

function lockHolder(lock: NonNullable<StateView["lock"]>): string {
  const who = typeof lock.info.Who === "string" && lock.info.Who !== "" ? ` (${lock.info.Who})` : "";
  return `${lock.lockedBy}${who} since ${new Date(lock.lockedAt).toISOString()}`;
}

/** Columns padded to their widest cell; the last one is not padded. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

export async function tfStateVersionsCommand(flags: TfStateFlags): Promise<void> {
  const versions = JSON.parse(await request(flags, "GET", `${stateRoute(flags)}/versions`)) as VersionView[];
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${"VERSION".padEnd(8)} ${"SERIAL".padEnd(7)} ${"WRITTEN".padEnd(24)} ${"BY".padEnd(20)} ${"SIZE".padStart(9)}  SHA-256       NOTE\n`,
  );
  for (const v of versions) {
    const notes = [
      v.current ? "current" : "",
      v.rolledBackFrom !== null ? `rollback to ${v.rolledBackFrom}` : "",
      v.forced && v.rolledBackFrom === null ? "forced" : "",
    ].filter(Boolean);
    process.stdout.write(
      `${String(v.version).padEnd(8)} ${String(v.serial).padEnd(7)} ${new Date(v.createdAt).toISOString().padEnd(24)} ${v.createdBy.padEnd(20)} ${String(v.sizeBytes).padStart(9)}  ${v.sha256.slice(0, 12)}  ${notes.join(", ")}\n`,
    );
  }
}

/** Prints one version, or the current state, exactly as stored (redirect it to a .tfstate file). */
export async function tfStateShowCommand(flags: TfStateFlags): Promise<void> {
  const route =
    flags.version === undefined ? stateRoute(flags) : `${stateRoute(flags)}/versions/${flags.version}`;
  const text = await request(flags, "GET", route);
  if (text === "") throw new UsageError(`${flags.project}/${flags.state} has no state`);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export async function tfStateRollbackCommand(flags: TfStateFlags): Promise<void> {
  if (flags.version === undefined)
    throw new UsageError("--version N is required: the version to roll back to");
  const created = JSON.parse(
    await request(flags, "POST", `${stateRoute(flags)}/versions/${flags.version}/rollback`, {
      ...(flags.lockId ? { lockId: flags.lockId } : {}),
    }),
  ) as VersionView;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${flags.project}/${flags.state} rolled back to version ${flags.version}: now version ${created.version} (serial ${created.serial})\n`,
  );
}

function stateRoute(flags: TfStateFlags): string {
  return `/api/terraform/${encodeURIComponent(flags.project)}/${encodeURIComponent(flags.state)}`;
}

/** One API call; the body as text, or the server's own message as a UsageError. */
async function request(flags: ServerFlags, method: string, route: string, body?: unknown): Promise<string> {
  if (!flags.server)
    throw new UsageError("--server URL is required", { hint: "e.g. --server http://127.0.0.1:7700" });
  const token = flags.token ?? process.env.SLIPWAY_TOKEN;
  if (!token) {
    throw new UsageError("no API token", { hint: "pass --token or set SLIPWAY_TOKEN" });
  }
  let response: Response;
  try {
    response = await fetch(new URL(route, flags.server), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new EnvironmentError(
      `cannot reach the Slipway server at ${flags.server}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  if (response.status >= 400) {
    let message = text.slice(0, 500);
    let hint: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error?: string; details?: { hint?: string } };
      message = parsed.error ?? message;
      hint = parsed.details?.hint;
    } catch {
      // not JSON: the text itself
    }
    throw new UsageError(`the server refused (${response.status}): ${message}`, { hint });
  }
  return text;
}
