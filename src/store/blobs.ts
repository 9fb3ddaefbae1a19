import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { writeFileAtomic } from "../config/atomic-write.js";

/**
 * Where the server keeps files: artifacts now, cache entries and Terraform plans later. Keys are
 * `/`-separated relative paths. The file system is the default; an S3-compatible store implements
 * the same four calls.
 */
export interface BlobStore {
  /** Stores the bytes under `key`, whole or not at all; returns where they are, for the history. */
  put(key: string, data: Buffer): Promise<{ sizeBytes: number; location: string }>;
  /** The bytes under `key`, or undefined when there are none. */
  get(key: string): Promise<Readable | undefined>;
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
}

export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  #file(key: string): string {
    const normal = relativePath(key);
    if (normal === undefined) throw new Error(`blob key ${key} leaves the store`);
    return path.join(this.root, normal);
  }

  async put(key: string, data: Buffer): Promise<{ sizeBytes: number; location: string }> {
    const file = this.#file(key);
    await writeFileAtomic(file, data);
    return { sizeBytes: data.length, location: file };
  }

  async get(key: string): Promise<Readable | undefined> {
    const file = this.#file(key);
    return (await this.size(key)) === undefined ? undefined : createReadStream(file);
  }

  async size(key: string): Promise<number | undefined> {
    const info = await stat(this.#file(key)).catch(() => undefined);
    return info?.isFile() ? info.size : undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#file(key), { force: true });
  }
}

/** `given` as a normal relative path with `/` separators, or undefined when it would leave its root. */
export function relativePath(given: string): string | undefined {
  const normal = path.posix.normalize(given.replaceAll("\\", "/"));
  return normal.startsWith("/") || normal === ".." || normal.startsWith("../") ? undefined : normal;
}

/** The key of a job's artifact. */
export function artifactKey(runId: string, jobKey: string, relative: string): string {
  return `artifacts/${runId}/${jobKey.replace(/[^A-Za-z0-9_.-]+/g, "_")}/${relative}`;
}
