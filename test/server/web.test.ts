import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { findWebDir } from "../../src/server/web.js";
import { createLogger } from "../../src/telemetry/index.js";

/* slipway serve's web UI routes: the built assets, the page fallback, and API misses. */

const INDEX =
  '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1a2b3c.js"></script>';

function builtUi(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-web-dist-"));
  mkdirSync(path.join(dir, "assets"));
  writeFileSync(path.join(dir, "index.html"), INDEX);
  writeFileSync(path.join(dir, "assets", "app-1a2b3c.js"), "console.log('ui')");
  writeFileSync(path.join(dir, "favicon.svg"), "<svg/>");
  return dir;
}

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(webDir: string | null): Promise<RunningServer> {
  server = await startServer({
    dataDir: mkdtempSync(path.join(os.tmpdir(), "slipway-web-")),
    port: 0,
    runners: 0,
    version: "test",
    logger: createLogger({ level: "silent" }),
    webDir,
  });
  return server;
}

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

describe("the web UI's routes", () => {
  it("serve index.html uncached and hashed assets for a year", async () => {
    const { url, webUrl } = await serve(builtUi());
    expect(webUrl).toBe(`${url}/`);
    const index = await fetch(`${url}/`, { headers: html });
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(await index.text()).toBe(INDEX);
    const asset = await fetch(`${url}/assets/app-1a2b3c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await asset.text()).toBe("console.log('ui')");
    // A file outside assets/ has no hash in its name: revalidated like index.html.
    const icon = await fetch(`${url}/favicon.svg`);
    expect(icon.headers.get("cache-control")).toBe("no-cache");
    await icon.arrayBuffer();
  });

  it("send every file and page of the UI with a policy that lets only the UI's own scripts run", async () => {
    const { url } = await serve(builtUi());
    for (const route of ["/", "/runs/abc123", "/assets/app-1a2b3c.js", "/favicon.svg"]) {
      const response = await fetch(`${url}${route}`, { headers: html });
      expect(response.status, route).toBe(200);
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy, route).toContain("script-src 'self'");
      expect(policy, route).toContain("frame-ancestors 'none'");
      expect(policy, route).not.toContain("unsafe-eval");
      expect(response.headers.get("x-content-type-options"), route).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), route).toBe("no-referrer");
      await response.arrayBuffer();
    }
  });

  it("answer index.html for the UI's pages, and JSON for everything else that is missing", async () => {
    const { url } = await serve(builtUi());
    const page = await fetch(`${url}/runs/abc123?tab=tests`, { headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(await page.text()).toBe(INDEX);

    for (const [method, route, headers] of [
      ["GET", "/api/nothing-here", html],
      ["GET", "/api", html],
      ["POST", "/api/nothing-here", html],
      ["GET", "/assets/missing-0000.js", {}],
      ["POST", "/runs/abc123", html],
    ] as const) {
      const missing = await fetch(`${url}${route}`, { method, headers });
      expect(missing.status, `${method} ${route}`).toBe(404);
      expect(missing.headers.get("content-type"), `${method} ${route}`).toMatch(/application\/json/);
      expect(await missing.json()).toEqual({ error: `no route ${method} ${route}` });
    }
    // The API is still the API, with its own answers.
    const unauthorized = await fetch(`${url}/api/runs`, { headers: html });
    expect(unauthorized.status).toBe(401);
    expect(((await unauthorized.json()) as { error: string }).error).toBe("a valid API token is required");
  });

  it("say how to build the UI when it is not built", async () => {
    const { url, webUrl } = await serve(null);
    expect(webUrl).toBeUndefined();
    const root = await fetch(`${url}/`, { headers: html });
    expect(root.status).toBe(200);
    expect(root.headers.get("content-type")).toMatch(/text\/plain/);
    expect(await root.text()).toMatch(/not built\. Run `npm run build`/);
    const page = await fetch(`${url}/runs/abc`, { headers: html });
    expect(page.status).toBe(404);
    await page.arrayBuffer();
  });
});

describe("findWebDir", () => {
  it("finds dist/web from the CLI bundle, its chunks, and the sources", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-web-find-"));
    const web = path.join(root, "dist", "web");
    mkdirSync(web, { recursive: true });
    const at = (...parts: string[]) => pathToFileURL(path.join(root, ...parts)).href;
    expect(findWebDir(at("dist", "slipway.js"))).toBeUndefined();
    writeFileSync(path.join(web, "index.html"), INDEX);
    expect(findWebDir(at("dist", "slipway.js"))).toBe(web);
    expect(findWebDir(at("dist", "chunks", "index-ABC.js"))).toBe(web);
    expect(findWebDir(at("src", "server", "web.ts"))).toBe(web);
  });
});
