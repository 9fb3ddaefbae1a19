import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { ROOT } from "../support/cli.js";
import { api, eventually, exampleRepo, gitRepo, startAgent, startServe } from "../support/slipway-server.js";
import type { AgentProcess, ServerProcess } from "../support/slipway-server.js";

/*
 * The web UI end to end: Debian's Chromium, driven by playwright-core, against the built CLI's
 * `slipway serve` serving the UI built from the current sources, with a real `slipway agent`
 * running the jobs. One browser for the file; each test opens its own context (a fresh session).
 */

/** What the tests read in the page (this file is type-checked without the DOM's types). */
interface InPage {
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { getItem(key: string): string | null };
}

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");
const ERROR_LINE = "Error: expected 42, received 41 (test/answer.test.js:7)";

let browser: Browser;
let server: ServerProcess;
let admin: string;
let viewer: string;
let agentToken: string;
let agent: AgentProcess | undefined;
/** Once this file exists, the broken project's tests pass: what a fix between two runs would do. */
let fixed: string;
/** Once this file exists, the slow project's step prints its second line. */
let signal: string;
let slowRun: string | undefined;

/** The test step of the broken project: a known error line on stderr and a JUnit report. */
function brokenTests(marker: string): string {
  const report = (failure: string) =>
    `<testsuite name="answer" tests="2" failures="${failure ? 1 : 0}">` +
    `<testcase classname="answer" name="is 42" time="0.004">${failure}</testcase>` +
    `<testcase classname="answer" name="is an integer" time="0.001"/></testsuite>`;
  const failure =
    '<failure message="expected 42, received 41">AssertionError: expected 42, received 41\n' +
    "    at Object.answer (test/answer.test.js:7:10)</failure>";
  return [
    "echo 'running 2 tests'",
    `if [ -f '${marker}' ]; then`,
    `  echo '${report("")}' > report.xml`,
    "  echo '2 passed'",
    "else",
    `  echo '${report(failure)}' > report.xml`,
    `  echo '${ERROR_LINE}' >&2`,
    "  exit 1",
    "fi",
    "",
  ].join("\n");
}

const BROKEN = `name: broken
jobs:
  build:
    steps:
      - name: compile
        run: echo "compiled 3 files"
  lint:
    steps:
      - name: lint
        run: echo "no lint problems"
  test:
    needs: build
    reports:
      junit: report.xml
    steps:
      - name: unit tests
        run: bash answer-test.sh
  deploy:
    needs: test
    steps:
      - run: echo deployed
`;

/** A step that waits for `signal` to exist between two lines, then holds its agent. */
function slowPipeline(signal: string): string {
  return `name: slow
jobs:
  wait:
    steps:
      - name: hold
        run: |
          echo "waiting for the signal"
          while [ ! -f '${signal}' ]; do sleep 0.1; done
          echo "signal received"
          sleep 300
`;
}

async function createToken(body: Record<string, string>): Promise<string> {
  const created = await api<{ token: string }>(server.url, admin, "POST", "/api/tokens", body);
  expect(created.status).toBe(201);
  return created.body.token;
}

async function addProject(name: string, repo: string): Promise<void> {
  const added = await api(server.url, admin, "POST", "/api/projects", { name, repo });
  expect(added.status).toBe(201);
}

async function trigger(project: string): Promise<string> {
  const started = await api<{ runs: { id: string }[] }>(
    server.url,
    admin,
    "POST",
    `/api/projects/${project}/runs`,
    {},
  );
  expect(started.status).toBe(201);
  const id = started.body.runs[0]?.id;
  if (id === undefined) throw new Error(`no run of ${project} started: ${JSON.stringify(started.body)}`);
  return id;
}

interface RunView {
  run: { id: string; status: string; commit: string };
  jobs: { key: string; status: string }[];
}

async function runOf(id: string): Promise<RunView> {
  const response = await api<RunView>(server.url, admin, "GET", `/api/runs/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function runReaches(id: string, statuses: readonly string[], timeoutMs: number): Promise<RunView> {
  return eventually(
    async () => {
      const view = await runOf(id);
      return statuses.includes(view.run.status) ? view : undefined;
    },
    timeoutMs,
    `run ${id} to be ${statuses.join(" or ")}`,
  );
}

/** One agent, started when a test first needs jobs to run. */
function ensureAgent(): void {
  agent ??= startAgent(server.url, agentToken, { name: "ui-agent", concurrency: 2 });
}

/** What Chromium reported as blocked by the UI's content security policy, on any page. */
const policyViolations: string[] = [];

/** A new browser session signed in with `token` through the sign-in page. */
async function signedIn(
  token: string,
  colorScheme: "light" | "dark" = "light",
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    baseURL: server.url,
    colorScheme,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  onTestFailed(() => {
    if (errors.length > 0) console.error(`errors in the page:\n${errors.join("\n")}`);
  });
  await page.goto("/");
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/runs$/);
  return { context, page };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The run page's status badge showing `status`. */
function runStatus(page: Page, status: string) {
  return page.getByTestId("run-status").locator(`[data-status="${status}"]`);
}

/** The run graph, laid out. */
async function graphReady(page: Page): Promise<void> {
  await page.locator('[aria-label^="Jobs of run"] [data-ready="true"]').waitFor();
}

beforeAll(async () => {
  // The UI as it is now: the global setup builds the CLI, not the UI.
  execFileSync(
    process.execPath,
    [path.join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
    {
      cwd: path.join(ROOT, "web"),
      // As `npm run build` makes it (vitest sets NODE_ENV=test, which would bundle React's dev build).
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  mkdirSync(SCREENSHOTS, { recursive: true });
  console.log(`screenshots of the web UI: ${SCREENSHOTS}`);

  server = await startServe({ runners: 0 });
  admin = server.adminToken;
  const scratch = mkdtempSync(path.join(os.tmpdir(), "slipway-ui-"));
  fixed = path.join(scratch, "fixed");
  signal = path.join(scratch, "signal");
  await addProject("demo", exampleRepo());
  await addProject("broken", gitRepo({ "slipway.yaml": BROKEN, "answer-test.sh": brokenTests(fixed) }));
  await addProject("slow", gitRepo({ "slipway.yaml": slowPipeline(signal) }));
  viewer = await createToken({ name: "vera", kind: "user", role: "viewer" });
  agentToken = await createToken({ name: "ui-agents", kind: "agent" });
  browser = await chromium.launch({ executablePath: CHROMIUM });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  // The slow run holds the agent: cancelled first, the agent stops without waiting for it.
  if (slowRun !== undefined) {
    await api(server.url, admin, "POST", `/api/runs/${slowRun}/cancel`);
    await runReaches(slowRun, ["cancelled", "failure"], 30_000).catch(() => undefined);
  }
  await agent?.stop();
  await server?.stop();
});

describe("the web UI served by slipway serve", () => {
  it("prints its address, and answers every page with index.html and API misses with JSON", async () => {
    expect(server.stderr()).toContain(`web UI: ${server.url}/`);
    const page = await fetch(`${server.url}/runs/anything?tab=tests`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${server.url}${asset ?? ""}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toContain("immutable");
    await script.arrayBuffer();
    const miss = await fetch(`${server.url}/api/no-such-route`, { headers: { accept: "text/html" } });
    expect(miss.status).toBe(404);
    expect(((await miss.json()) as { error: string }).error).toMatch(/no route/);
  });

  it("signs in with an API token, refusing an unknown one with the server's words", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/runs");
    await page.waitForURL(/\/sign-in\?next=%2Fruns/);
    await page.getByLabel("API token").fill("slw_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("the server does not know this token").waitFor();
    await page.getByLabel("API token").fill(admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/runs$/);
    const who = page.getByTestId("who");
    await who.getByText("admin", { exact: true }).first().waitFor();
    expect(await who.locator(".role-badge").textContent()).toBe("admin");
    // The token is kept for this tab only.
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem("slipway.token")),
    ).toBe(admin);
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).localStorage.getItem("slipway.token")),
    ).toBeNull();
    await context.close();
  });

  it("follows a run of the example from queued to success without reloading", async () => {
    const { context, page } = await signedIn(admin);
    await page.getByRole("link", { name: "Projects" }).click();
    await page.getByRole("row", { name: /demo/ }).getByRole("link", { name: "Run pipeline" }).click();
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/[^/?]+$/);
    // Nothing reloads the page from here on: this marker would be gone.
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));
    // No agent yet: the jobs wait in the queue.
    const build = page.locator('[data-job="build"]');
    await build.locator('[data-status="queued"]').waitFor();
    await page.getByTestId("run-meta").getByText("api", { exact: true }).waitFor();
    ensureAgent();
    await build.locator('[data-status="running"]').waitFor({ timeout: 60_000 });
    await runStatus(page, "running").waitFor();
    await runStatus(page, "success").waitFor({ timeout: 180_000 });
    await page.locator('[data-job="smoke"] [data-status="success"]').waitFor();
    expect(await page.evaluate(() => "stillTheSamePage" in globalThis)).toBe(true);
    await graphReady(page);
    await screenshot(page, "run-page");

    // The views are tabs the keyboard moves between.
    await page.getByRole("tab", { name: "Graph and logs" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tab", { name: "Timeline", selected: true }).waitFor();
    await page.getByRole("tabpanel").getByText("smoke").first().waitFor();
    await screenshot(page, "timeline");

    await page.getByRole("tab", { name: "Tests" }).click();
    await page.getByTestId("tests-tab").getByText("passed").first().waitFor();
    await page.getByRole("tab", { name: "Artifacts" }).click();
    await page
      .getByTestId("artifacts")
      .getByText(/node-service-.*\.tgz/)
      .waitFor();

    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByTestId("runs-table").locator('[data-status="success"]').first().waitFor();
    await context.close();
  }, 300_000);

  it("opens a failed step and shows its error line, and the failed test first in the Tests tab", async () => {
    ensureAgent();
    const id = await trigger("broken");
    await runReaches(id, ["failure"], 120_000);
    const { context, page } = await signedIn(admin);
    await page.getByLabel("Project").selectOption("broken");
    await page.getByLabel("Status").selectOption("failure");
    await page
      .getByTestId("runs-table")
      .getByRole("link", { name: /broken/ })
      .click();
    await runStatus(page, "failure").waitFor();
    await page.locator('[data-job="test"]').click();
    await page.getByRole("button", { name: /unit tests/ }).click();
    await page.getByText(ERROR_LINE).first().waitFor();
    // The selection is in the address: a link to it opens the same log.
    expect(page.url()).toMatch(/job=test&step=0/);
    await graphReady(page);
    await screenshot(page, "logs");

    await page.getByRole("tab", { name: "Tests" }).click();
    const tests = page.getByTestId("tests-tab");
    await tests.getByText("expected 42, received 41", { exact: true }).waitFor();
    await tests.getByText(/at Object\.answer \(test\/answer\.test\.js:7:10\)/).waitFor();
    const counts = await tests.getByRole("list", { name: "Test counts" }).textContent();
    expect(counts).toMatch(/2 tests/);
    expect(counts).toMatch(/1 failed/);
    expect(counts).toMatch(/1 passed/);
    // Failures first: the failing test's row leads the table.
    const firstRow = await tests.locator("tbody tr").first().textContent();
    expect(firstRow).toContain("is 42");
    await screenshot(page, "tests-tab");
    await context.close();
  }, 180_000);

  it("re-runs the failed jobs of a run as a new run of the same commit", async () => {
    ensureAgent();
    const failed = await runReaches(await trigger("broken"), ["failure"], 120_000);
    writeFileSync(fixed, "");
    const { context, page } = await signedIn(admin, "dark");
    await page.goto(`/runs/${failed.run.id}`);
    await runStatus(page, "failure").waitFor();
    await graphReady(page);
    await screenshot(page, "run-page-dark");
    await page.getByRole("button", { name: "Re-run failed jobs" }).click();
    await page.waitForURL(
      (url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(failed.run.id),
    );
    const rerunId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    await runStatus(page, "success").waitFor({ timeout: 120_000 });
    const rerun = await runOf(rerunId);
    expect(rerun.run.commit).toBe(failed.run.commit);
    // The failed job, the job it needs and the job that needs it; not the lint that passed.
    expect(rerun.jobs.map((j) => j.key).sort()).toEqual(["build", "deploy", "test"]);
    await context.close();
  }, 240_000);

  it("does not let a viewer cancel a run, and follows a running step's log", async () => {
    ensureAgent();
    slowRun = await trigger("slow");
    await runReaches(slowRun, ["running"], 60_000);
    const { context, page } = await signedIn(viewer);
    expect(await page.getByTestId("who").locator(".role-badge").textContent()).toBe("viewer");
    // Every run so far, the failed ones among them, and the slow one still running.
    const runs = page.getByTestId("runs-table");
    await runs.locator('[data-status="failure"]').first().waitFor();
    await runs.locator('[data-status="running"]').first().waitFor();
    await screenshot(page, "runs-list");
    await expect(page.getByRole("link", { name: "Audit log" }).count()).resolves.toBe(0);
    await page.goto(`/runs/${slowRun}`);
    await runStatus(page, "running").waitFor();
    const cancel = page.getByRole("button", { name: "Cancel run" });
    expect(await cancel.isDisabled()).toBe(true);
    expect(await cancel.getAttribute("title")).toBe("needs the developer role (you are viewer)");
    // Forced past the UI, with the session's own token: the server refuses, and says why.
    const forced = await page.evaluate(async (id) => {
      const response = await fetch(`/api/runs/${id}/cancel`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${(globalThis as unknown as InPage).sessionStorage.getItem("slipway.token") ?? ""}`,
        },
      });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, slowRun);
    expect(forced.status).toBe(403);
    expect(forced.body.error).toBe("role viewer may not do this in project slow: it needs developer");
    expect((await runOf(slowRun)).run.status).toBe("running");

    // Viewers read logs, and a running step's log follows what it prints.
    await page.goto(`/runs/${slowRun}?job=wait&step=0`);
    const log = page.getByTestId("log-panel");
    await log.getByText("waiting for the signal").waitFor();
    expect(await log.getByText("signal received").count()).toBe(0);
    writeFileSync(signal, "");
    await log.getByText("signal received").waitFor({ timeout: 30_000 });

    // A page the role cannot use shows the server's refusal rather than nothing.
    await page.goto("/audit");
    await page.getByRole("alert").getByText("role viewer may not do this: it needs admin").waitFor();

    // The agents page shows who runs what.
    await page.goto("/agents");
    await page
      .getByTestId("agents")
      .getByRole("link", { name: /slow #\d+ · wait/ })
      .waitFor();
    await screenshot(page, "agents");
    await context.close();
    // Every page so far ran under the UI's content security policy without Chromium blocking
    // anything: the graph's worker, the styles, the API calls and the streams are all its own.
    expect(policyViolations).toEqual([]);
  }, 120_000);
});
