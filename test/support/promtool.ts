import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Runs the real promtool (Debian's `prometheus` package, installed by ./scripts/test) in `cwd`.
 * A non-zero exit is a result to assert on, not an exception: promtool explains what failed.
 */
export async function promtool(cwd: string, ...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "promtool not found: install it with `apt-get install -y prometheus` (./scripts/test does)",
        {
          cause: error,
        },
      );
    }
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}
