import { EnvironmentError, UsageError } from "../../errors/index.js";

/** `slipway tf state ...`: the versions a Slipway server keeps of a Terraform state. */

export interface TfStateFlags {
  server?: string;
  token?: string;
  json?: boolean;
  project: string;
  state: string;
  version?: number;
  lockId?: string;
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
async function request(flags: TfStateFlags, method: string, route: string, body?: unknown): Promise<string> {
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
