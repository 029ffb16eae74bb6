// The image store port and its local implementation. Chunks are content-addressed files,
// written once, atomically (temporary name, fsync, rename); manifests are JSON files, so a
// template can be exported. The other adapter is object storage (s3-image-store.ts); both pass
// the same contract tests (test/image-store-contract.test.ts).
import { mkdir, open, readFile, readdir, rename, rm, statfs, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathExists } from "./files.ts";
import { randomBytes } from "node:crypto";

/**
 * Where templates' chunks and manifests are kept. Failures are classified by
 * `storeFault` (store-errors.ts): a missing object rejects with code ENOENT, a store that does
 * not answer after its retries with a StoreUnreachableError; other errors name the store.
 */
export interface ImageStore {
  /** How errors name the store to users, e.g. `image store "local"` (never a path or a secret). */
  readonly name: string;
  /** Writes a chunk durably; writing one that is there already is harmless. `compressed` is the caller's again once this resolves: keep no reference to it. */
  putChunk(hash: string, compressed: Uint8Array): Promise<void>;
  /** Whether the chunk is there (a cheap check; its bytes are verified on read). */
  hasChunk(hash: string): Promise<boolean>;
  /** The chunk's stored bytes; a missing chunk rejects with code ENOENT. */
  getChunk(hash: string): Promise<Buffer>;
  /** Removes a chunk; one that is not there is no error. */
  deleteChunk(hash: string): Promise<void>;
  /** Removes many chunks, in as few requests as the store allows. */
  deleteChunks(hashes: string[]): Promise<void>;
  /** Every chunk's hash (paged through, however many there are). */
  listChunks(): Promise<string[]>;
  putManifest(name: string, manifest: unknown): Promise<void>;
  /** The manifest, or null when there is none. */
  getManifest(name: string): Promise<unknown | null>;
  deleteManifest(name: string): Promise<void>;
  /** Why the store cannot take a capture now (unreachable, not writable, full), or null: for /readyz. */
  problem(): Promise<string | null>;
  /** Lets go of connections (at shutdown). */
  close(): Promise<void>;
}

/** Below this much free space the local store cannot take a capture's chunks. */
const MIN_FREE_BYTES = 64 * 1024 * 1024;

const HASH = /^[0-9a-f]{64}$/;
const TEMPORARY = ".tmp-";

export class LocalImageStore implements ImageStore {
  readonly name = 'image store "local"';
  private readonly root: string;
  private readonly chunksDir: string;
  private readonly manifestsDir: string;
  /** Folders known to exist: one mkdir per folder, not one per chunk. */
  private readonly madeDirs = new Set<string>();

  constructor(root: string) {
    this.root = root;
    this.chunksDir = path.join(root, "chunks");
    this.manifestsDir = path.join(root, "manifests");
  }

  /** Where a chunk's file is, for tools and tests that look at the raw store. */
  chunkPath(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`invalid chunk hash ${hash}`);
    return path.join(this.chunksDir, hash.slice(0, 2), `${hash}.zst`);
  }

  async putChunk(hash: string, compressed: Uint8Array): Promise<void> {
    await this.writeAtomically(this.chunkPath(hash), compressed);
  }

  hasChunk(hash: string): Promise<boolean> {
    return pathExists(this.chunkPath(hash));
  }

  getChunk(hash: string): Promise<Buffer> {
    return readFile(this.chunkPath(hash));
  }

  async deleteChunk(hash: string): Promise<void> {
    await rm(this.chunkPath(hash), { force: true });
  }

  async deleteChunks(hashes: string[]): Promise<void> {
    for (const hash of hashes) await this.deleteChunk(hash);
  }

  async listChunks(): Promise<string[]> {
    const hashes: string[] = [];
    let prefixes: string[];
    try {
      prefixes = await readdir(this.chunksDir);
    } catch {
      return hashes;
    }
    for (const prefix of prefixes) {
      for (const name of await readdir(path.join(this.chunksDir, prefix))) {
        if (name.startsWith(TEMPORARY)) {
          // Left by a crash between write and rename: never referenced.
          await rm(path.join(this.chunksDir, prefix, name), { force: true });
        } else if (name.endsWith(".zst")) {
          hashes.push(name.slice(0, -4));
        }
      }
    }
    return hashes;
  }

  async putManifest(name: string, manifest: unknown): Promise<void> {
    await this.writeAtomically(this.manifestPath(name), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  }

  async getManifest(name: string): Promise<unknown | null> {
    try {
      return JSON.parse(await readFile(this.manifestPath(name), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async deleteManifest(name: string): Promise<void> {
    await rm(this.manifestPath(name), { force: true });
  }

  async problem(): Promise<string | null> {
    await mkdir(this.root, { recursive: true });
    const probe = path.join(this.root, `${TEMPORARY}ready-${randomBytes(6).toString("hex")}`);
    try {
      await writeFile(probe, "ok");
    } catch (error) {
      return `not writable (${(error as NodeJS.ErrnoException).code ?? "error"})`;
    } finally {
      await rm(probe, { force: true });
    }
    const { bavail, bsize } = await statfs(this.root);
    const free = bavail * bsize;
    return free < MIN_FREE_BYTES ? `full: ${Math.floor(free / 1024 / 1024)} MiB free, needs ${MIN_FREE_BYTES / 1024 / 1024} MiB` : null;
  }

  async close(): Promise<void> {}

  private manifestPath(name: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`invalid manifest name ${name}`);
    return path.join(this.manifestsDir, `${name}.json`);
  }

  private async writeAtomically(file: string, data: Uint8Array): Promise<void> {
    const dir = path.dirname(file);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const temporary = path.join(dir, `${TEMPORARY}${randomBytes(6).toString("hex")}`);
    try {
      const handle = await open(temporary, "w");
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      // A full disk fails the write halfway: the partial file must not stay behind.
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

