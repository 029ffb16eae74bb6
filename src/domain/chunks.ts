// The chunk catalogue over the image store: each chunk is written once (dedupe across
// templates), referenced by the templates that use it, and removed when none does.
import type { Db } from "../db/client.js";
import { isUniqueViolation } from "../db/client.js";
import { compressChunk, decompressChunk, sha256Hex } from "../storage/chunk-codec.js";
import type { ImageStore } from "../storage/image-store.js";
import { IntegrityError } from "./errors.js";
import { StoreLock } from "./store-lock.js";

export class Chunks {
  readonly lock = new StoreLock();
  /** Chunks this process is writing now: a second capture of the same bytes waits for the first. */
  private readonly writing = new Map<string, Promise<number>>();

  constructor(
    private readonly db: Db,
    private readonly store: ImageStore,
  ) {}

  /**
   * Stores a chunk unless the store has it. Returns the compressed bytes newly written
   * (0 when the chunk was there already). Call under `lock.shared`, and reference the
   * chunk before the lock is released.
   */
  async put(hash: string, raw: Buffer): Promise<number> {
    const pending = this.writing.get(hash);
    if (pending) {
      await pending;
      return 0;
    }
    const known = await this.db.chunk.findUnique({ where: { hash }, select: { hash: true } });
    if (known) return 0;
    const write = (async () => {
      const compressed = compressChunk(raw);
      // The file first: a row always means the bytes are on the store.
      await this.store.putChunk(hash, compressed);
      try {
        await this.db.chunk.create({ data: { hash, sizeBytes: raw.length, storedBytes: compressed.length } });
      } catch (error) {
        if (isUniqueViolation(error)) return 0; // another instance stored it meanwhile
        throw error;
      }
      return compressed.length;
    })();
    this.writing.set(hash, write);
    try {
      return await write;
    } finally {
      this.writing.delete(hash);
    }
  }

  /** Records that the template uses these chunks (idempotent). */
  async reference(templateId: string, hashes: Iterable<string>): Promise<void> {
    const unique = [...new Set(hashes)];
    const existing = new Set(
      (await this.db.templateChunk.findMany({ where: { templateId }, select: { hash: true } })).map((row) => row.hash),
    );
    const missing = unique.filter((hash) => !existing.has(hash));
    const BATCH = 500;
    for (let i = 0; i < missing.length; i += BATCH) {
      await this.db.templateChunk.createMany({ data: missing.slice(i, i + BATCH).map((hash) => ({ templateId, hash })) });
    }
  }

  /** Drops the template's references and removes every chunk no template uses any more. */
  async release(templateId: string): Promise<number> {
    return this.lock.exclusive(async () => {
      await this.db.templateChunk.deleteMany({ where: { templateId } });
      return this.sweepUnreferenced();
    });
  }

  /** Removes unreferenced chunks: rows and files. Call under `lock.exclusive`. */
  private async sweepUnreferenced(): Promise<number> {
    let removed = 0;
    for (;;) {
      const orphans = await this.db.chunk.findMany({ where: { templates: { none: {} } }, select: { hash: true }, take: 500 });
      if (orphans.length === 0) return removed;
      for (const { hash } of orphans) await this.store.deleteChunk(hash);
      const { count } = await this.db.chunk.deleteMany({ where: { hash: { in: orphans.map((o) => o.hash) }, templates: { none: {} } } });
      removed += count;
    }
  }

  /** Removes chunk files the catalogue does not know (a crash between a file's rename and its row). */
  async sweepUnknownFiles(): Promise<number> {
    return this.lock.exclusive(async () => {
      const files = await this.store.listChunks();
      const known = new Set((await this.db.chunk.findMany({ select: { hash: true } })).map((row) => row.hash));
      const unknown = files.filter((hash) => !known.has(hash));
      for (const hash of unknown) await this.store.deleteChunk(hash);
      return unknown.length;
    });
  }

  /** Reads a chunk back, verifying it against its name. */
  async read(hash: string, context: string): Promise<Buffer> {
    let raw: Buffer;
    try {
      raw = decompressChunk(await this.store.getChunk(hash));
    } catch (error) {
      throw new IntegrityError(`${context}: chunk ${hash} is unreadable (${(error as Error).message})`);
    }
    if (sha256Hex(raw) !== hash) throw new IntegrityError(`${context}: chunk ${hash} does not match its checksum`);
    return raw;
  }
}
