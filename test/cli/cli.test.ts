import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, exited, project, ROOT, startCli, waitForLine } from "../support/cli.js";

const ok = `
name: small
jobs:
  hello:
    outputs:
      greeting: \${{ steps.say.outputs.greeting }}
    steps:
      - id: say
        run: |
          echo "hello from hello"
          echo "greeting=hi" >> "$SLIPWAY_OUTPUT"
  after:
    needs: hello
    steps:
      - run: echo "got \${{ needs.hello.outputs.greeting }}"
`;

describe("slipway CLI", () => {
  it("validates a good file and prints a summary", () => {
    const dir = project(ok);
    const result = cli(dir, ["validate"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/slipway\.yaml: 2 job\(s\), 2 after matrix expansion, 2 step\(s\)/);
  });

  it("rejects a bad file with every error, positions and code frames, exit 2, and runs nothing", () => {
    const dir = project(
      "jobs:\n  build:\n    runs-on: linux\n    steps:\n      - run: echo ${{ nope.x }}\n        naem: y\n",
    );
    for (const command of [["validate"], ["run"]]) {
      const result = cli(dir, command);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('slipway.yaml:3:5: error: unknown key "runs-on" in jobs.build');
      expect(result.stderr).toContain(
        "slipway.yaml:5:19: error: invalid expression: Unrecognized named-value: 'nope'",
      );
      expect(result.stderr).toContain('slipway.yaml:6:9: error: unknown key "naem"');
      expect(result.stderr).toContain("  3 |     runs-on: linux");
      expect(result.stderr).toContain("3 errors");
    }
    expect(existsSync(path.join(dir, ".slipway"))).toBe(false);
  });

  it("runs a pipeline, passes outputs between jobs, and streams NDJSON events with --json", () => {
    const dir = project(ok);
    const result = cli(dir, ["run", "--json"]);
    expect(result.status).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; text?: string; status?: string });
    expect(events[0]?.type).toBe("run.queued");
    expect(events.at(-1)).toMatchObject({ type: "run.finished", status: "success" });
    expect(events.filter((e) => e.type === "log").map((e) => e.text)).toEqual(["hello from hello", "got hi"]);
  });

  it("exits 1 when the pipeline fails and names the failing step", () => {
    const dir = project(
      "jobs:\n  broken:\n    steps:\n      - name: compile\n        run: |\n          echo building\n          exit 3\n",
    );
    const result = cli(dir, ["run", "--plain"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/broken failure .*step 1 \(compile\) exited with 3/);
    expect(result.stderr).toMatch(/workspace kept for inspection/);
  });

  it("keeps history: runs lists them and logs prints a job's lines", () => {
    const dir = project(ok);
    expect(cli(dir, ["run"]).status).toBe(0);
    expect(cli(dir, ["run"]).status).toBe(0);
    const runs = JSON.parse(cli(dir, ["runs", "--json"]).stdout) as { number: number; status: string }[];
    expect(runs.map((r) => [r.number, r.status])).toEqual([
      [2, "success"],
      [1, "success"],
    ]);
    expect(cli(dir, ["runs"]).stdout).toMatch(/#2 +success/);
    const logs = cli(dir, ["logs", "1", "after"]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain("got hi");
    expect(logs.stdout).not.toContain("hello from hello");
    expect(cli(dir, ["logs", "9"]).status).toBe(2);
  });

  it("warns about a declared secret that has no value, and masks one that has", () => {
    const dir = project(
      "secrets: [TOKEN, MISSING]\njobs:\n  a:\n    steps:\n      - run: echo token=${{ secrets.TOKEN }}\n",
    );
    const result = cli(dir, ["run", "--plain"], { TOKEN: "tok-123456" });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("warning: secret MISSING declared but not set");
    expect(result.stdout).toContain("token=***");
    expect(result.stdout).not.toContain("tok-123456");
  });

  it("reuses a compiled pipeline only while the file is unchanged", () => {
    const dir = project("jobs:\n  a:\n    steps:\n      - run: echo first\n");
    expect(cli(dir, ["run", "--plain"]).stdout).toContain("first");
    expect(readdirSync(path.join(dir, ".slipway", "compiled"))).toHaveLength(1);
    expect(cli(dir, ["run", "--plain"]).stdout).toContain("first");
    writeFileSync(path.join(dir, "slipway.yaml"), "jobs:\n  a:\n    steps:\n      - run: echo second\n");
    expect(cli(dir, ["run", "--plain"]).stdout).toContain("second");
    writeFileSync(path.join(dir, "slipway.yaml"), "jobs:\n  a:\n    stepz: []\n");
    expect(cli(dir, ["run"]).status).toBe(2);
  });

  it("generates SLO rules, and rejects a bad spec with positions", () => {
    const fixture = path.join(ROOT, "test", "fixtures", "slo", "checkout.yaml");
    const dir = project("jobs:\n  a:\n    steps: [{run: x}]\n");
    const result = cli(dir, ["slo", "generate", fixture, "-o", "rules.yml"]);
    expect(result.status, result.stderr).toBe(0);
    const rules = readFileSync(path.join(dir, "rules.yml"), "utf8");
    expect(rules).toContain("record: slo:sli_error:ratio_rate5m");
    expect(rules).toContain("alert:");
    const dashboard = JSON.parse(cli(dir, ["slo", "dashboard", fixture]).stdout) as unknown;
    expect(JSON.stringify(dashboard)).toContain("slo:period_error_budget_remaining:ratio");
    const status = cli(dir, ["slo", "status", fixture, "--prometheus", "http://127.0.0.1:9"]);
    expect(status.status).toBe(3);
    expect(status.stderr).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:9/);
    expect(cli(dir, ["slo", "gate", fixture, "--min-budget-remaining", "2"]).status).toBe(2);
    const gate = cli(dir, ["slo", "gate", fixture, "--prometheus", "http://127.0.0.1:9"]);
    expect(gate.status).toBe(3);
    const alertmanager = cli(dir, ["slo", "alertmanager", fixture, "--full", "--page-receiver", "oncall"]);
    expect(alertmanager.status, alertmanager.stderr).toBe(0);
    expect(alertmanager.stdout).toContain("oncall");
    expect(alertmanager.stdout).toContain("sloth_severity");
    writeFileSync(
      path.join(dir, "bad.yaml"),
      "version: prometheus/v1\nservice: s\nslos:\n  - name: x\n    objective: 99\n    sli: {raw: {error_ratio_query: up}}\n    alertng: {}\n",
    );
    const bad = cli(dir, ["slo", "generate", "bad.yaml"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:7:5: error: unknown key "alertng"/);
  });

  it("checks the slos: of slipway.yaml with the pipeline, and generates rules from it", () => {
    const slos = [
      "slos:",
      "  checkout:",
      "    availability:",
      "      objective: 99.9",
      "      sli:",
      '        errors: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      "        total: sum(rate(http_requests_total[{{.window}}]))",
      "      alerting: { name: CheckoutAvailability }",
    ].join("\n");
    const dir = project(`${slos}\njobs:\n  a:\n    steps: [{run: x}]\n`);
    expect(cli(dir, ["validate"]).status).toBe(0);
    const rules = cli(dir, ["slo", "generate", "slipway.yaml"]);
    expect(rules.status, rules.stderr).toBe(0);
    expect(rules.stdout).toContain("sloth_id: checkout-availability");
    writeFileSync(
      path.join(dir, "slipway.yaml"),
      `${slos.replace("objective: 99.9", "objectiv: 99.9")}\njobs:\n  a:\n    steps: [{run: x}]\n`,
    );
    const bad = cli(dir, ["validate"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/slipway\.yaml:4:7: error: unknown key "objectiv"/);
  });

  it("runs an slo-gate step with the same slipway, and rejects a step with neither run nor slo-gate", () => {
    const fixture = path.join(ROOT, "test", "fixtures", "slo", "checkout.yaml");
    const dir = project(
      [
        "jobs:",
        "  deploy:",
        "    steps:",
        "      - slo-gate:",
        `          slos: ${JSON.stringify(fixture)}`,
        "          prometheus: http://127.0.0.1:9",
        "          min-budget-remaining: 0.2",
        "      - run: echo deployed",
      ].join("\n"),
    );
    const result = cli(dir, ["run", "--plain"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("cannot reach Prometheus at http://127.0.0.1:9");
    expect(result.stdout).not.toContain("deployed");
    const bad = project("jobs:\n  a:\n    steps:\n      - name: nothing\n");
    const rejected = cli(bad, ["validate"]);
    expect(rejected.status).toBe(2);
    expect(rejected.stderr).toContain(
      "slipway.yaml:4:9: error: a step needs one of run, slo-gate, check or deploy",
    );
  });

  it("sets run variables with --env, over the pipeline's env, and rejects a malformed one", () => {
    const dir = project(
      'env:\n  TARGET: staging\njobs:\n  a:\n    steps:\n      - run: echo "to ${{ env.TARGET }} as $TARGET"\n',
    );
    expect(cli(dir, ["run", "--plain"]).stdout).toContain("to staging as staging");
    expect(cli(dir, ["run", "--plain", "--env", "TARGET=prod"]).stdout).toContain("to prod as prod");
    const bad = cli(dir, ["run", "--env", "no-equals"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--env no-equals: expected NAME=VALUE");
  });

  it("refuses unknown jobs with a suggestion", () => {
    const result = cli(project(ok), ["run", "helo"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no job "helo".*\nhint: did you mean "hello"\?/);
  });

  it("runs only the named job and what it needs", () => {
    const dir = project(`${ok}  unrelated:\n    steps:\n      - run: echo unrelated\n`);
    const result = cli(dir, ["run", "--json", "after"]);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain("unrelated");
    expect(result.stdout).toContain("got hi");
  });

  it("prints the graph as Mermaid and DOT, and the JSON Schema", () => {
    const dir = project(
      "jobs:\n  a:\n    steps: [{run: x}]\n  b:\n    needs: a\n    matrix: {n: [1, 2]}\n    steps: [{run: x}]\n",
    );
    expect(cli(dir, ["graph"]).stdout).toBe(
      'flowchart LR\n  j0["a"]\n  j1["b (1)"]\n  j2["b (2)"]\n  j0 --> j1\n  j0 --> j2\n',
    );
    expect(cli(dir, ["graph", "--format", "dot"]).stdout).toContain('"a" -> "b (2)";');
    const schema = JSON.parse(cli(dir, ["schema"]).stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["jobs", "env", "secrets"]));
  });

  it("cancels on Ctrl-C: steps are stopped, the run is recorded as cancelled, exit 130", async () => {
    const dir = project(
      "jobs:\n  slow:\n    steps:\n      - run: |\n          echo started\n          sleep 30\n",
    );
    const child = startCli(dir, ["run", "--json"]);
    await waitForLine(child, (l) => l.includes('"text":"started"'));
    child.kill("SIGINT");
    expect(await exited(child)).toBe(130);
    const runs = JSON.parse(cli(dir, ["runs", "--json"]).stdout) as { status: string }[];
    expect(runs[0]?.status).toBe("cancelled");
    expect(cli(dir, ["logs", "1"]).stdout).toContain("started");
  });

  it("survives kill -9: finished steps and written lines are kept, the run is marked interrupted", async () => {
    const dir = project(
      [
        "jobs:",
        "  work:",
        "    steps:",
        "      - run: echo first step done",
        "      - run: |",
        "          echo $$ > pid",
        "          echo second step line",
        "          sleep 30",
      ].join("\n"),
    );
    const child = startCli(dir, ["run", "--json", "--in-place"]);
    await waitForLine(child, (l) => l.includes('"text":"second step line"'));
    // Let the recorder's short batching delay pass, so the line is in the store.
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGKILL");
    await exited(child);
    process.kill(-Number(readFileSync(path.join(dir, "pid"), "utf8")), "SIGKILL");

    const runs = JSON.parse(cli(dir, ["runs", "--json"]).stdout) as { status: string }[];
    expect(runs[0]?.status).toBe("interrupted");
    const logs = cli(dir, ["logs", "1"]).stdout;
    expect(logs).toContain("first step done");
    expect(logs).toContain("second step line");
  });
});
