import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * The web UI's built assets (web/, built by `npm run build` into dist/web), served at `/`.
 *
 * These routes are registered on Fastify directly, not through the Router: they are public
 * content, the same for everyone and holding no data (the UI asks the API for everything with
 * the user's token), so they have no access rule and are not in the route list the
 * authorization test walks.
 */

/** Vite names assets after their content hash: a name never changes content, so keep it a year. */
const HASHED_ASSET = "public, max-age=31536000, immutable";
/** index.html names the current assets: always revalidate it, so a new build is seen at once. */
const ALWAYS_REVALIDATE = "no-cache";

/**
 * Sent with every file of the UI. The UI keeps the user's token in session storage, so no script
 * but its own may run: scripts, workers, styles and connections from this origin only (styles
 * may also be set inline, as React sets them), images from here or data URLs (so a step
 * summary's images cannot call out with what the page shows), no plugins, no framing.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Where the built UI is, relative to the running module: dist/chunks/*.js and dist/slipway.js
 * (the CLI bundle) or src/server/web.ts (tests and tsx run the sources). The first directory
 * holding an index.html wins.
 */
export function findWebDir(moduleUrl: string = import.meta.url): string | undefined {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const candidates = [
    path.join(here, "web"),
    path.join(here, "..", "web"),
    path.join(here, "..", "..", "dist", "web"),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, "index.html")));
}

/**
 * Serves the UI from `webDir`: files as they are, and index.html for any other page the browser
 * asks for (the UI routes in the browser: /runs/ID is a page of index.html, not a file). API
 * paths and requests that do not want HTML get a JSON 404. Without a built UI, `/` says how to
 * build it.
 */
export async function webRoutes(app: FastifyInstance, webDir: string | undefined): Promise<void> {
  if (webDir !== undefined) {
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: "/",
      cacheControl: false,
      // The API is never a file, whatever the build directory holds.
      allowedPath: (pathName) => !isApiPath(pathName),
      setHeaders: (res, file) => {
        const assets = path.join(webDir, "assets") + path.sep;
        res.setHeader("cache-control", file.startsWith(assets) ? HASHED_ASSET : ALWAYS_REVALIDATE);
        for (const [name, value] of Object.entries(UI_SECURITY_HEADERS)) res.setHeader(name, value);
      },
    });
  } else {
    app.get("/", (_request, reply) =>
      reply
        .type("text/plain; charset=utf-8")
        .header("cache-control", ALWAYS_REVALIDATE)
        .send(
          "Slipway's web UI is not built. Run `npm run build` in the Slipway source tree, " +
            "then start slipway serve again. The API is at /api (see /api/openapi.json).\n",
        ),
    );
  }
  app.setNotFoundHandler((request, reply) => notFound(request, reply, webDir));
}

function notFound(request: FastifyRequest, reply: FastifyReply, webDir: string | undefined) {
  const pathName = request.url.split("?")[0] ?? "/";
  if (webDir !== undefined && request.method === "GET" && !isApiPath(pathName) && wantsHtml(request)) {
    return reply
      .headers({ ...UI_SECURITY_HEADERS, "cache-control": ALWAYS_REVALIDATE })
      .sendFile("index.html", webDir);
  }
  return reply.status(404).send({ error: `no route ${request.method} ${pathName}` });
}

function isApiPath(pathName: string): boolean {
  return pathName === "/api" || pathName.startsWith("/api/");
}

/** A browser navigating asks for text/html; fetch() and curl ask for anything. */
function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").includes("text/html");
}
