// The image store port and its local implementation. Chunks are content-addressed files,
// written once, atomically (temporary name, fsync, rename); manifests are JSON files, so a
// template can be exported. Another backend (object storage, a shared mount) would implement
// the same port.
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pathExists } from "./files.ts";
import { randomBytes } from "node:crypto";

export interface ImageStore {
  /** How errors name the store to users, e.g. `image store "local"` (never a path). */
  readonly name: string;
  /** Writes a chunk durably. `compressed` is the caller's again once this resolves: keep no reference to it. */
  putChunk(hash: string, compressed: Uint8Array): Promise<void>;
  /** Whether the chunk's file is there (a cheap check; its bytes are verified on read). */
  hasChunk(hash: string): Promise<boolean>;
  getChunk(hash: string): Promise<Buffer>;
  deleteChunk(hash: string): Promise<void>;
  listChunks(): Promise<string[]>;
  putManifest(name: string, manifest: unknown): Promise<void>;
  getManifest(name: string): Promise<unknown | null>;
  deleteManifest(name: string): Promise<void>;
  /** Where a chunk lives, for tools and tests that look at the raw store. */
  chunkPath(hash: string): string;
}

const HASH = /^[0-9a-f]{64}$/;
const TEMPORARY = ".tmp-";

export class LocalImageStore implements ImageStore {
  readonly name = 'image store "local"';
  private readonly chunksDir: string;
  private readonly manifestsDir: string;
  /** Folders known to exist: one mkdir per folder, not one per chunk. */
  private readonly madeDirs = new Set<string>();

  constructor(root: string) {
    this.chunksDir = path.join(root, "chunks");
    this.manifestsDir = path.join(root, "manifests");
  }

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

