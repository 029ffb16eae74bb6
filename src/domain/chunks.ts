// The chunk catalogue over the image store: each chunk is written once (dedupe across
// templates), referenced by the templates that use it, and removed when none does.
import type { Db } from "../db/client.js";
import { isUniqueViolation } from "../db/client.js";
import type { CodecPool } from "../storage/codec-pool.js";
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
    private readonly codec: CodecPool,
  ) {}

  /**
   * Names a chunk by its SHA-256 and stores it unless the store has it. Returns the name and
   * the compressed bytes newly written (0 when the chunk was there already). The chunk's
   * buffer moves to a codec worker (see CodecPool.compress). Call under `lock.shared`, and
   * reference the chunk before the lock is released.
   */
  async put(raw: Buffer): Promise<{ hash: string; written: number }> {
    const size = raw.length;
    // Hashing and compressing together on a worker keeps the reading thread free; for a
    // chunk the store already has, the compression is wasted, which only costs CPU.
    const { compressed, sha256: hash } = await this.codec.compress(raw);
    const pending = this.writing.get(hash);
    if (pending) {
      await pending;
      return { hash, written: 0 };
    }
    const known = await this.db.chunk.findUnique({ where: { hash }, select: { hash: true } });
    if (known) return { hash, written: 0 };
    const write = (async () => {
      // The file first: a row always means the bytes are on the store.
      await this.store.putChunk(hash, compressed);
      try {
        await this.db.chunk.create({ data: { hash, sizeBytes: size, storedBytes: compressed.length } });
      } catch (error) {
        if (isUniqueViolation(error)) return 0; // another instance stored it meanwhile
        throw error;
      }
      return compressed.length;
    })();
    this.writing.set(hash, write);
    try {
      return { hash, written: await write };
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
    let chunk: { raw: Buffer; sha256: string };
    try {
      chunk = await this.codec.decompress(await this.store.getChunk(hash));
    } catch (error) {
      throw new IntegrityError(`${context}: chunk ${hash} is unreadable (${(error as Error).message})`);
    }
    if (chunk.sha256 !== hash) throw new IntegrityError(`${context}: chunk ${hash} does not match its checksum`);
    return chunk.raw;
  }
}
