import { mkdtemp, readFile, rm } from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { REDACTED, createLogger } from "../../src/telemetry/index.js";

/** A stream that keeps every line written to it, parsed, as soon as it is written. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  let rest = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (rest + chunk.toString("utf8")).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describe("logger", () => {
  it("writes JSON lines with level, time, name and the logged fields", () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream, name: "slipway-server" });
    logger.info({ runId: "r-1" }, "run queued");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, name: "slipway-server", runId: "r-1", msg: "run queued" });
    expect(typeof lines[0]?.time).toBe("number");
  });

  it("censors credential headers of a logged request and secret fields at the first two levels", () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream });
    const headers = {
      authorization: "Bearer swp_live_abc",
      cookie: "session=abc",
      "x-hub-signature-256": "sha256=deadbeef",
      "x-gitlab-token": "glwt-abc",
      "x-slipway-signature": "sha256=cafe",
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/1",
    };
    logger.info(
      {
        req: { method: "POST", url: "/hooks/github", headers },
        headers,
        token: "t-top",
        password: "p-top",
        webhook: { secret: "s-nested", url: "https://example.test/hook" },
        agent: { token: "t-nested", name: "builder-1" },
      },
      "webhook received",
    );
    const line = lines[0] as {
      req: { method: string; headers: Record<string, string> };
      headers: Record<string, string>;
      token: string;
      password: string;
      webhook: Record<string, string>;
      agent: Record<string, string>;
    };
    for (const logged of [line.req.headers, line.headers]) {
      expect(logged).toEqual({
        authorization: REDACTED,
        cookie: REDACTED,
        "x-hub-signature-256": REDACTED,
        "x-gitlab-token": REDACTED,
        "x-slipway-signature": REDACTED,
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/1",
      });
    }
    expect(line.req.method).toBe("POST");
    expect(line.token).toBe(REDACTED);
    expect(line.password).toBe(REDACTED);
    expect(line.webhook).toEqual({ secret: REDACTED, url: "https://example.test/hook" });
    expect(line.agent).toEqual({ token: REDACTED, name: "builder-1" });
    // Redaction works on the written line, not on the caller's object.
    expect(headers.authorization).toBe("Bearer swp_live_abc");
    const raw = JSON.stringify(lines);
    for (const secret of [
      "swp_live_abc",
      "session=abc",
      "deadbeef",
      "glwt-abc",
      "cafe",
      "t-top",
      "s-nested",
    ]) {
      expect(raw).not.toContain(secret);
    }
  });

  it("keeps redacting in child loggers", () => {
    const { stream, lines } = capture();
    createLogger({ destination: stream }).child({ runId: "r-2" }).warn({ secret: "s-child" }, "lease lost");
    expect(lines[0]).toMatchObject({ runId: "r-2", secret: REDACTED, level: 40 });
  });

  it("drops lines below the configured level", () => {
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream, level: "warn" });
    logger.info("hidden");
    logger.error("shown");
    expect(lines.map((l) => l.msg)).toEqual(["shown"]);
  });

  it("writes to a file descriptor", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-logger-"));
    try {
      const file = join(dir, "server.log");
      const fd = openSync(file, "w");
      const logger = createLogger({ destination: fd });
      logger.info({ password: "p-file" }, "to a file");
      // Written synchronously: the line is in the file before the descriptor closes.
      closeSync(fd);
      const [line] = (await readFile(file, "utf8")).trim().split("\n");
      expect(JSON.parse(line ?? "")).toMatchObject({ msg: "to a file", password: REDACTED });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown level with the levels it knows", () => {
    expect(() => createLogger({ level: "verbose" })).toThrow(UsageError);
    expect(() => createLogger({ level: "verbose" })).toThrow(/unknown log level "verbose"/);
  });
});
