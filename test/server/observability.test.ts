import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import type { OtlpReceiver } from "../support/otlp-receiver.js";
import { api, eventually, gitRepo } from "../support/slipway-server.js";

const PIPELINE = `name: traced
secrets: [DEPLOY_TOKEN]
jobs:
  build:
    steps:
      - name: compile
        run: echo compiled
  deploy:
    needs: build
    steps:
      - name: use the secret
        env:
          TOKEN: \${{ secrets.DEPLOY_TOKEN }}
        run: |
          test "$TOKEN" = "s3cr3t-value-42"
          echo "deploying with $TOKEN"
`;

/** A server with its built-in runner: traces to a real OTLP receiver, metrics, and secrets reaching the job masked. */
describe("server observability and secrets", () => {
  let server: RunningServer;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startServer({
      dataDir: mkdtempSync(path.join(os.tmpdir(), "slipway-obs-")),
      port: 0,
      runners: 1,
      version: "test",
      otlpEndpoint: receiver.url,
    });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it(
    "runs a job with a project secret, masks it, exports the run as a trace and counts it in /metrics",
    { timeout: 60_000 },
    async () => {
      const token = server.adminToken ?? "";
      expect(
        (
          await api(server.url, token, "POST", "/api/projects", {
            name: "obs",
            repo: gitRepo({ "slipway.yaml": PIPELINE }),
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api(server.url, token, "PUT", "/api/projects/obs/secrets/DEPLOY_TOKEN", {
            value: "s3cr3t-value-42",
          })
        ).status,
      ).toBe(200);
      const names = await api<{ name: string }[]>(server.url, token, "GET", "/api/projects/obs/secrets");
      expect(JSON.stringify(names.body)).not.toContain("s3cr3t");

      const started = await api<{ runs: { id: string }[] }>(
        server.url,
        token,
        "POST",
        "/api/projects/obs/runs",
        {},
      );
      const runId = started.body.runs[0]?.id ?? "";
      const view = await eventually(
        async () => {
          const r = await api<{ run: { status: string } }>(server.url, token, "GET", `/api/runs/${runId}`);
          return r.body.run.status === "queued" || r.body.run.status === "running" ? undefined : r.body;
        },
        45_000,
        "the run to finish",
      );
      expect(view.run.status).toBe("success");

      const logs = await api<{ text: string }[]>(
        server.url,
        token,
        "GET",
        `/api/runs/${runId}/logs?job=deploy`,
      );
      const text = logs.body.map((l) => l.text).join("\n");
      expect(text).toContain("deploying with ***");
      expect(text).not.toContain("s3cr3t-value-42");

      const spans = await receiver.waitForSpans(4, 15_000);
      const runSpan = spans.find((s) => s.name === "run traced");
      const jobSpans = spans.filter((s) => s.name.startsWith("job "));
      const stepSpans = spans.filter((s) => s.name.startsWith("step "));
      expect(runSpan?.attributes["slipway.run.id"]).toBe(runId);
      expect(jobSpans.map((s) => s.name).sort()).toEqual(["job build", "job deploy"]);
      expect(
        jobSpans.every((s) => s.parentSpanId === runSpan?.spanId && s.traceId === runSpan?.traceId),
      ).toBe(true);
      const deploy = jobSpans.find((s) => s.name === "job deploy");
      expect(stepSpans.find((s) => s.name === "step use the secret")?.parentSpanId).toBe(deploy?.spanId);
      expect(BigInt(deploy?.startTimeUnixNano ?? 0)).toBeGreaterThanOrEqual(
        BigInt(runSpan?.startTimeUnixNano ?? 0),
      );

      const metrics = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      const body = await metrics.text();
      expect(body).toMatch(
        /slipway_job_duration_seconds_count\{project="obs",job="deploy",status="success"\} 1/,
      );
      expect(body).toMatch(
        /slipway_step_duration_seconds_count\{project="obs",job="build",status="success"\} 1/,
      );
      expect(body).toMatch(/slipway_queue_depth 0/);
      expect(body).toMatch(
        /slipway_http_request_duration_seconds_count\{method="POST",route="\/api\/projects\/:name\/runs",status_code="201"\} 1/,
      );
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    },
  );
});
