import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create, extract } from "tar";

/** A directory's files as a gzip tar, as a release is uploaded. */
export async function packDirectory(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, portable: true }, ["."]);
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * Unpacks an uploaded release into `dir`, which must not exist yet: unpacked beside it and
 * renamed into place, so a release directory is either complete or absent. Entries that would
 * land outside the directory (absolute paths, `..`, links) are refused by tar's defaults.
 */
export async function unpackRelease(archive: Buffer, dir: string): Promise<void> {
  const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
  await mkdir(partial, { recursive: true });
  try {
    await pipeline(Readable.from([archive]), extract({ cwd: partial, strict: true }));
    await rename(partial, dir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * sha256 over every file's relative path and content, in path order, then the configuration:
 * the same files and configuration give the same checksum whatever the archive's timestamps.
 */
export async function releaseChecksum(dir: string, configuration: unknown): Promise<string> {
  const hash = createHash("sha256");
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
  for (const file of files) {
    const content = await readFile(path.join(dir, file));
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  hash.update(JSON.stringify(configuration));
  return hash.digest("hex");
}
