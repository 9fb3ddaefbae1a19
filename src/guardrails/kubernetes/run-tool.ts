/**
 * Runs the tools that render manifests (helm, kubectl kustomize) without blocking the scan:
 * asynchronously, with a timeout, and reporting a missing tool apart from a failing one so the
 * user is told what to install rather than shown an error.
 */
import { spawn } from "node:child_process";

export type ToolResult =
  { ok: true; stdout: string } | { ok: false; reason: "missing" | "timeout" | "failed"; message: string };

/** Rendered output larger than this is not configuration; the tool is stopped. */
const MAX_OUTPUT = 64 * 1024 * 1024;

export function runTool(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number },
): Promise<ToolResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ToolResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({
        ok: false,
        reason: "timeout",
        message: `${command} did not finish within ${options.timeoutMs / 1000}s`,
      });
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        child.kill("SIGKILL");
        finish({
          ok: false,
          reason: "failed",
          message: `${command} printed more than ${MAX_OUTPUT / 1024 / 1024} MiB`,
        });
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 64) stderr.push(chunk);
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      finish({
        ok: false,
        reason: error.code === "ENOENT" ? "missing" : "failed",
        message: `${command}: ${error.message}`,
      }),
    );
    child.on("close", (code) => {
      if (code === 0) finish({ ok: true, stdout: Buffer.concat(stdout).toString("utf8") });
      else {
        const message = Buffer.concat(stderr).toString("utf8").trim().split("\n").filter(Boolean);
        finish({
          ok: false,
          reason: "failed",
          message: message.slice(0, 3).join(" ") || `${command} exited with ${code}`,
        });
      }
    });
  });
}
