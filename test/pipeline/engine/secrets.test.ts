import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseEnv, output, runPipeline, tempDir, withStore } from "./harness.js";

const SECRET = "s3cr3t-value-123";
/** Characters that URL encoding changes (the same way in encodeURIComponent and Python's quote). */
const SPECIAL = "p@ss/w0rd&key=v:1";

function base64(value: string): string {
  return Buffer.from(value, "utf8").toString("base64");
}

describe("secret masking", () => {
  it("never stores a secret's raw, base64 or URL-encoded form in the logs", async () => {
    const { result, logs, dataDir } = await runPipeline(
      `
secrets: [TOKEN, OTHER]
jobs:
  leak:
    steps:
      - env:
          T: \${{ secrets.TOKEN }}
          O: \${{ secrets.OTHER }}
        run: |
          echo "raw \${{ secrets.TOKEN }}"
          echo "env $T"
          echo "inherited=\${TOKEN:-unset}"
          printf '%s' "$T" | base64
          printf 'user:%s' "$T" | base64
          python3 -c 'import urllib.parse, sys; print("url", urllib.parse.quote(sys.argv[1], safe=""))' "$T"
          python3 -c 'import urllib.parse, sys; print("url", urllib.parse.quote(sys.argv[1], safe=""))' "$O"
          printf '%s' "$O" | base64
          echo "stderr $T" >&2
          echo "done"
`,
      { env: baseEnv({ TOKEN: SECRET, OTHER: SPECIAL }) },
    );
    expect(result.status).toBe("success");
    const lines = output(logs, "leak");
    expect(lines[0]).toBe("raw ***");
    expect(lines[1]).toBe("env ***");
    // Declared secrets are not environment variables unless the pipeline maps them.
    expect(lines[2]).toBe("inherited=unset");
    expect(lines.at(-1)).toBe("done");

    await withStore(dataDir, async (store) => {
      const stored = await store.readLogs({ runId: result.run.id });
      expect(stored.length).toBeGreaterThanOrEqual(10);
      const text = stored.map((l) => l.text).join("\n");
      const forbidden = [
        SECRET,
        base64(SECRET).slice(0, -3),
        // `user:` shifts the secret by 5 bytes (2 mod 3) inside the encoded blob.
        base64(`user:${SECRET}`).slice(8, -4),
        SPECIAL,
        encodeURIComponent(SPECIAL),
        base64(SPECIAL).slice(0, -3),
      ];
      for (const form of forbidden) expect(text).not.toContain(form);
      expect(stored.filter((l) => l.text.includes("***")).length).toBeGreaterThanOrEqual(8);
      expect(stored.find((l) => l.stream === "stderr")?.text).toBe("stderr ***");
    });
  });

  it("masks values read from a secret file", async () => {
    const dir = await tempDir();
    const secretFile = join(dir, "secrets.env");
    await writeFile(
      secretFile,
      `API_KEY=${SECRET}\nMULTI<<EOF\nfirst-line-secret\nsecond-line-secret\nEOF\n`,
    );
    const { result, dataDir } = await runPipeline(
      `
jobs:
  j:
    steps:
      - run: |
          echo "key \${{ secrets.API_KEY }}"
          echo "\${{ secrets.MULTI }}"
`,
      { secretFile },
    );
    expect(result.status).toBe("success");
    await withStore(dataDir, async (store) => {
      const text = (await store.readLogs({ runId: result.run.id })).map((l) => l.text);
      expect(text).toEqual(["key ***", "***", "***"]);
    });
  });

  // Job outputs are stored (jobs.outputs, the job.finished event, cache entries) and shown, so
  // they are masked like logs: a secret written to $SLIPWAY_OUTPUT must not reach the store.
  it("does not store a secret that ends up in a job output", async () => {
    const { result, dataDir } = await runPipeline(
      `
secrets: [TOKEN]
jobs:
  j:
    outputs:
      token: \${{ steps.s.outputs.token }}
    steps:
      - id: s
        run: echo "token=\${{ secrets.TOKEN }}" >> "$SLIPWAY_OUTPUT"
`,
      { env: baseEnv({ TOKEN: SECRET }) },
    );
    expect(result.status).toBe("success");
    await withStore(dataDir, async (store) => {
      const jobs = await store.listJobs(result.run.id);
      expect(JSON.stringify(jobs)).not.toContain(SECRET);
      const events = await store.listEvents(result.run.id);
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });
  });

  // Reasons (events, jobs and steps tables) are not masked the way log lines are; an expression
  // error over a secret must not quote it there.
  it("does not store a secret quoted by an expression error", async () => {
    const { result, logs, dataDir } = await runPipeline(
      `
secrets: [TOKEN]
jobs:
  j:
    steps:
      - run: echo "\${{ fromJSON(secrets.TOKEN) }}"
`,
      { env: baseEnv({ TOKEN: SECRET }) },
    );
    expect(result.status).toBe("failure");
    expect(logs.map((l) => l.text).join("\n")).not.toContain(SECRET);
    await withStore(dataDir, async (store) => {
      const stored = JSON.stringify([
        await store.listJobs(result.run.id),
        await store.listSteps(result.run.id),
        await store.listEvents(result.run.id),
      ]);
      expect(stored).not.toContain(SECRET);
    });
  });
});
