import { appendFile, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Writes a line into an instance's log that says what the supervisor did, so a reader of the
 * log sees where one run of the process ends and the next begins.
 */
export async function markLog(logFile: string, text: string): Promise<void> {
  await mkdir(dirname(logFile), { recursive: true });
  await appendFile(logFile, `--- ${new Date().toISOString()} slipway: ${text} ---\n`);
}

/** The last `lines` lines of the log (from its last 8 KiB), or "" when it cannot be read. */
export async function logTail(logFile: string, lines = 30): Promise<string> {
  let handle;
  try {
    handle = await open(logFile, "r");
  } catch {
    return "";
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 8192);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString("utf8").replace(/\n$/, "");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  } finally {
    await handle.close();
  }
}
