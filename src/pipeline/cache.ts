import { createHash } from "node:crypto";
import {
  chmod,
  copyFile,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { finished } from "node:stream/promises";
import { create, extract } from "tar";
import { glob } from "tinyglobby";
import type { CacheEntry, Store } from "../store/index.js";
import type { CacheSpec } from "./ir.js";

/** Bump when the key's ingredients change, so old entries can never match by accident. */
const KEY_VERSION = "slipway-cache-v1";

export interface CacheKeyInput {
  /** What the key is for: `job:<id>` or `step:<job>:<index>`. */
  scope: string;
  spec: CacheSpec;
  /** The extra key text, interpolated. */
  extraKey: string | undefined;
  /** The commands (templates as written, so a change to any of them misses). */
  commands: readonly string[];
  env: Readonly<Record<string, string>>;
  matrix: unknown;
  /** Result hashes of the jobs this one needs: a changed upstream output misses. */
  upstream: readonly string[];
}

/**
 * A cache shared by several machines: the server, for its agents. Entries travel as gzip tar
 * archives of an entry's directory (`files/` and `entry.json`).
 */
export interface RemoteCache {
  /** The entry's archive, or undefined when there is none. */
  fetch(key: string): Promise<Buffer | undefined>;
  store(key: string, jobId: string, archive: Buffer): Promise<void>;
}

/** Written beside an entry's files, so an archive carries what a hit needs. */
interface EntryFile {
  key: string;
  jobId: string;
  outputs: Record<string, string>;
}

/** Reports a remote cache that failed: a warning in the log, never a failed job. */
export type CacheWarning = (message: string) => void;

/**
 * Content-addressed cache for jobs and steps ("status vs process": before doing the work, ask
 * whether this exact work was already done). Entries live under `<dataDir>/cache/<key>/`,
 * their metadata in the store. With a remote, a local miss asks the remote, and every saved
 * entry is uploaded to it.
 */
export class Cache {
  constructor(
    private readonly dir: string,
    private readonly store: Store,
    private readonly remote?: RemoteCache,
  ) {}

  async key(workspace: string, input: CacheKeyInput): Promise<string> {
    const files = (await glob(input.spec.inputs, { cwd: workspace, dot: true, onlyFiles: true })).sort();
    const fileHashes = await Promise.all(
      files.map(async (file) => `${file}\u0000${sha256(await readFile(path.join(workspace, file)))}`),
    );
    const envLines = Object.keys(input.env)
      .sort()
      .map((k) => `${k}=${input.env[k]}`);
    return sha256(
      JSON.stringify([
        KEY_VERSION,
        input.scope,
        input.extraKey ?? "",
        input.commands,
        envLines,
        input.matrix ?? null,
        input.upstream,
        input.spec.outputs,
        fileHashes,
      ]),
    );
  }

  async lookup(key: string, warn?: CacheWarning): Promise<CacheEntry | undefined> {
    const entry = await this.store.getCacheEntry(key);
    // An entry whose files were deleted by hand is a miss, not an error.
    if (entry && (await exists(entry.path))) return entry;
    if (this.remote === undefined) return undefined;
    try {
      return await this.#download(key, this.remote);
    } catch (error) {
      warn?.(`the shared cache could not be read (${describe(error)}); running as a miss`);
      return undefined;
    }
  }

  /** A remote entry, unpacked into the local cache and recorded there, or undefined on a miss. */
  async #download(key: string, remote: RemoteCache): Promise<CacheEntry | undefined> {
    const archive = await remote.fetch(key);
    if (archive === undefined) return undefined;
    const final = path.join(this.dir, key);
    const temporary = await this.#temporary(final);
    try {
      // node-tar keeps entries inside `cwd`: absolute paths and `..` are stripped.
      const unpack = extract({ cwd: temporary, strict: true });
      unpack.end(archive);
      await finished(unpack);
      const meta = JSON.parse(await readFile(path.join(temporary, ENTRY_FILE), "utf8")) as EntryFile;
      if (meta.key !== key) throw new Error(`the archive is for ${meta.key.slice(0, 12)}`);
      await rm(final, { recursive: true, force: true });
      await rename(temporary, final);
      const entry: CacheEntry = {
        key,
        jobId: meta.jobId,
        path: final,
        outputs: meta.outputs,
        createdAt: Date.now(),
        sizeBytes: await sizeOf(path.join(final, "files")),
      };
      await this.store.putCacheEntry(entry);
      return entry;
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }

  async #temporary(final: string): Promise<string> {
    const temporary = `${final}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await mkdir(temporary, { recursive: true });
    return temporary;
  }

  /** Copies the saved outputs back into the workspace. Returns how many paths were restored. */
  async restore(entry: CacheEntry, spec: CacheSpec, workspace: string): Promise<number> {
    let restored = 0;
    for (const output of spec.outputs) {
      const saved = path.join(entry.path, "files", output);
      if (!(await exists(saved))) continue;
      // Merged into what is there, file by file, not replacing it: matrix siblings may share an
      // output directory and restore into it at the same time.
      await copyTree(saved, path.join(workspace, output));
      restored++;
    }
    return restored;
  }

  /**
   * Saves the outputs after a successful run. Written to a temporary directory first, so a crash
   * never leaves half an entry; then uploaded to the remote, if there is one.
   */
  async save(
    key: string,
    jobId: string,
    spec: CacheSpec,
    workspace: string,
    outputs: Record<string, string>,
    warn?: CacheWarning,
  ): Promise<void> {
    const final = path.join(this.dir, key);
    const temporary = await this.#temporary(final);
    let size = 0;
    await mkdir(path.join(temporary, "files"), { recursive: true });
    const meta: EntryFile = { key, jobId, outputs };
    await writeFile(path.join(temporary, ENTRY_FILE), JSON.stringify(meta));
    for (const output of spec.outputs) {
      const source = path.join(workspace, output);
      if (!(await exists(source))) continue;
      const target = path.join(temporary, "files", output);
      await mkdir(path.dirname(target), { recursive: true });
      await cp(source, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      size += await sizeOf(target);
    }
    await rm(final, { recursive: true, force: true });
    await rename(temporary, final);
    await this.store.putCacheEntry({
      key,
      jobId,
      path: final,
      outputs,
      createdAt: Date.now(),
      sizeBytes: size,
    });
    if (this.remote === undefined) return;
    try {
      const archive = await buffer(create({ cwd: final, gzip: true, portable: true }, [ENTRY_FILE, "files"]));
      await this.remote.store(key, jobId, archive);
    } catch (error) {
      warn?.(`the entry could not be shared (${describe(error)}); it is kept on this machine only`);
    }
  }
}

const ENTRY_FILE = "entry.json";

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Copies a file or directory tree, merging into what is there; symlinks stay symlinks (node_modules/.bin). */
async function copyTree(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  await copyEntry(source, target);
}

async function copyEntry(source: string, target: string): Promise<void> {
  const s = await lstat(source);
  if (s.isSymbolicLink()) {
    await rm(target, { force: true });
    await symlink(await readlink(source), target);
  } else if (s.isDirectory()) {
    await mkdir(target, { recursive: true });
    const entries = await readdir(source);
    await Promise.all(entries.map((entry) => copyEntry(path.join(source, entry), path.join(target, entry))));
  } else {
    await copyFile(source, target);
    await chmod(target, s.mode);
  }
}

async function sizeOf(p: string): Promise<number> {
  const s = await stat(p);
  if (!s.isDirectory()) return s.size;
  const files = await glob("**/*", { cwd: p, dot: true, onlyFiles: true });
  const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(p, f))).size));
  return sizes.reduce((a, b) => a + b, 0);
}
