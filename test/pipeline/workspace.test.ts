import { execFileSync } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors/index.js";
import { snapshotWorkingTree } from "../../src/pipeline/workspace.js";

const temps: string[] = [];

afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-ws-"));
  temps.push(dir);
  return dir;
}

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

async function initRepo(files: Record<string, string>): Promise<string> {
  const repo = await tempDir();
  git(repo, "init", "-q", "-b", "main");
  git(repo, "config", "user.name", "Slipway Test");
  git(repo, "config", "user.email", "test@slipway.invalid");
  git(repo, "config", "commit.gpgsign", "false");
  await write(repo, files);
  return repo;
}

function commitAll(repo: string): string {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "snapshot");
  return git(repo, "rev-parse", "HEAD").trim();
}

/** Every file and symlink under `root`, relative and sorted. */
async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

describe("snapshotWorkingTree in a git work tree", () => {
  it("copies the work tree as it is: edits and untracked files in, ignored and deleted files out", async () => {
    const repo = await initRepo({
      ".gitignore": "dist/\n*.log\n",
      "src/app.ts": "export const version = 1;\n",
      "src/old.ts": "export const old = true;\n",
      "README.md": "# app\n",
    });
    const commit = commitAll(repo);
    await write(repo, {
      "src/app.ts": "export const version = 2;\n",
      "src/new.ts": "export const fresh = true;\n",
      "dist/app.js": "built\n",
      "debug.log": "noise\n",
      ".slipway/runs/1/log": "run data\n",
    });
    await rm(join(repo, "src/old.ts"));
    const dest = join(await tempDir(), "ws");

    const snapshot = await snapshotWorkingTree(repo, dest);

    expect(snapshot).toEqual({ commit, dirty: true, files: 4 });
    expect(await listTree(dest)).toEqual([".gitignore", "README.md", "src/app.ts", "src/new.ts"]);
    expect(await readFile(join(dest, "src/app.ts"), "utf8")).toBe("export const version = 2;\n");
  });

  it("reports a clean tree as not dirty, and never copies .git", async () => {
    const repo = await initRepo({ "a.txt": "a\n", "b/c.txt": "c\n" });
    const commit = commitAll(repo);
    const dest = join(await tempDir(), "ws");

    expect(await snapshotWorkingTree(repo, dest)).toEqual({ commit, dirty: false, files: 2 });
    expect(await listTree(dest)).toEqual(["a.txt", "b/c.txt"]);
  });

  it("handles a repository without commits", async () => {
    const repo = await initRepo({ "first.txt": "1\n" });
    const dest = join(await tempDir(), "ws");

    expect(await snapshotWorkingTree(repo, dest)).toEqual({ commit: undefined, dirty: true, files: 1 });
    expect(await listTree(dest)).toEqual(["first.txt"]);
  });

  it("snapshots a project in a subdirectory on its own, with paths relative to it", async () => {
    const repo = await initRepo({
      "services/api/package.json": "{}\n",
      "services/api/src/index.ts": "// api\n",
      "services/web/index.html": "<html></html>\n",
      "ROOT.md": "root\n",
    });
    const commit = commitAll(repo);
    // A change outside the project does not make the project dirty.
    await write(repo, { "services/web/index.html": "<html>changed</html>\n" });
    const dest = join(await tempDir(), "ws");

    const snapshot = await snapshotWorkingTree(join(repo, "services/api"), dest);

    expect(snapshot).toEqual({ commit, dirty: false, files: 2 });
    expect(await listTree(dest)).toEqual(["package.json", "src/index.ts"]);

    await write(repo, { "services/api/src/index.ts": "// changed\n" });
    const again = await snapshotWorkingTree(join(repo, "services/api"), join(await tempDir(), "ws"));
    expect(again.dirty).toBe(true);
  });

  it("recreates symlinks as symlinks and keeps the executable bit", async () => {
    const repo = await initRepo({ "scripts/build.sh": "#!/bin/sh\necho build\n", "config/app.json": "{}\n" });
    await chmod(join(repo, "scripts/build.sh"), 0o755);
    await symlink("../config/app.json", join(repo, "scripts/app.json"));
    await symlink("does-not-exist", join(repo, "dangling"));
    commitAll(repo);
    const dest = join(await tempDir(), "ws");

    const snapshot = await snapshotWorkingTree(repo, dest);

    expect(snapshot.files).toBe(4);
    const link = await lstat(join(dest, "scripts/app.json"));
    expect(link.isSymbolicLink()).toBe(true);
    expect(await readlink(join(dest, "scripts/app.json"))).toBe("../config/app.json");
    expect(await readFile(join(dest, "scripts/app.json"), "utf8")).toBe("{}\n");
    expect(await readlink(join(dest, "dangling"))).toBe("does-not-exist");
    expect((await stat(join(dest, "scripts/build.sh"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dest, "config/app.json"))).mode & 0o111).toBe(0);
  });

  it("copies a nested repository by its own rules, without its .git", async () => {
    const repo = await initRepo({ "top.txt": "top\n" });
    commitAll(repo);
    const inner = join(repo, "vendor/lib");
    await mkdir(inner, { recursive: true });
    git(inner, "init", "-q");
    await write(inner, { ".gitignore": "build/\n", "lib.c": "int x;\n", "build/lib.o": "obj\n" });

    const dest = join(await tempDir(), "ws");
    const snapshot = await snapshotWorkingTree(repo, dest);

    expect(await listTree(dest)).toEqual(["top.txt", "vendor/lib/.gitignore", "vendor/lib/lib.c"]);
    expect(snapshot.files).toBe(3);
  });

  it("copies an uninitialised submodule as an empty directory", async () => {
    const library = await initRepo({ "lib.txt": "lib\n" });
    commitAll(library);
    const parent = await initRepo({ "app.txt": "app\n" });
    git(parent, "-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "deps/lib");
    commitAll(parent);
    const clone = join(await tempDir(), "clone");
    git(tmpdir(), "clone", "-q", parent, clone);

    const dest = join(await tempDir(), "ws");
    const snapshot = await snapshotWorkingTree(clone, dest);

    expect(await listTree(dest)).toEqual([".gitmodules", "app.txt"]);
    expect(snapshot.files).toBe(2);
    expect((await stat(join(dest, "deps/lib"))).isDirectory()).toBe(true);
  });

  it("excludes a destination inside the project", async () => {
    const repo = await initRepo({ "a.txt": "a\n" });
    commitAll(repo);
    await write(repo, { "snapshots/old/leftover.txt": "x\n" });

    const snapshot = await snapshotWorkingTree(repo, join(repo, "snapshots/old"));

    expect(snapshot.files).toBe(1);
    expect(await listTree(join(repo, "snapshots/old"))).toEqual(["a.txt", "leftover.txt"]);
  });

  it("reports a broken repository as an EnvironmentError carrying git's message", async () => {
    const repo = await initRepo({ "a.txt": "a\n" });
    await writeFile(join(repo, ".git/index"), "not an index");

    const error = await snapshotWorkingTree(repo, join(await tempDir(), "ws")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toMatch(/git .* failed/);
    expect((error as EnvironmentError).message).toContain("index file smaller than expected");
  });

  it("only reads the git state when there is no destination (a run in place)", async () => {
    const repo = await initRepo({ "a.txt": "a\n" });
    const commit = commitAll(repo);
    expect(await snapshotWorkingTree(repo, undefined)).toEqual({ commit, dirty: false, files: 0 });
    await write(repo, { "b.txt": "b\n" });
    expect(await snapshotWorkingTree(repo, undefined)).toEqual({ commit, dirty: true, files: 0 });
    expect(await snapshotWorkingTree(await tempDir(), undefined)).toEqual({
      commit: undefined,
      dirty: false,
      files: 0,
    });
  });

  it("is fast for a small tree", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`src/file${i}.ts`] = `export const n = ${i};\n`;
    const repo = await initRepo(files);
    commitAll(repo);
    const root = await tempDir();
    await snapshotWorkingTree(repo, join(root, "warm"));

    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await snapshotWorkingTree(repo, join(root, `ws${i}`));
      best = Math.min(best, performance.now() - start);
    }
    // Mostly the three git processes; generous for a loaded CI machine.
    expect(best).toBeLessThan(150);
  });
});

describe("snapshotWorkingTree outside git", () => {
  it("copies everything except .slipway, .git and node_modules", async () => {
    const project = await tempDir();
    await write(project, {
      "main.go": "package main\n",
      "pkg/util.go": "package pkg\n",
      "node_modules/left-pad/index.js": "x\n",
      "web/node_modules/react/index.js": "x\n",
      ".slipway/data.db": "db\n",
      ".git/config": "stray\n",
      ".env.example": "A=1\n",
      "nested/.slipway/kept": "only the project's own data dir is skipped\n",
    });
    await chmod(join(project, "main.go"), 0o744);
    await symlink("main.go", join(project, "link.go"));
    const dest = join(await tempDir(), "ws");

    const snapshot = await snapshotWorkingTree(project, dest);

    expect(snapshot).toEqual({ commit: undefined, dirty: false, files: 5 });
    expect(await listTree(dest)).toEqual([
      ".env.example",
      "link.go",
      "main.go",
      "nested/.slipway/kept",
      "pkg/util.go",
    ]);
    expect((await lstat(join(dest, "link.go"))).isSymbolicLink()).toBe(true);
    expect((await stat(join(dest, "main.go"))).mode & 0o777).toBe(0o744);
  });

  it("does not copy a destination inside the project into itself", async () => {
    const project = await tempDir();
    await write(project, { "a.txt": "a\n" });
    const dest = join(project, "out", "ws");

    expect((await snapshotWorkingTree(project, dest)).files).toBe(1);
    expect(await listTree(join(project, "out"))).toEqual(["ws/a.txt"]);
  });
});
