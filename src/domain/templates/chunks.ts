// The chunk catalogue over one image store: each chunk is written once (dedupe across
// templates), referenced by the templates that use it, and removed when none does. What
// reads learn about a chunk's health is recorded on it, and decides its templates' status:
// a template is DAMAGED while one of its chunks is, and ACTIVE again once none is. The rows
// carry the store's key (`Chunk.store`), so several stores keep catalogues apart in one database.
import { Semaphore } from "async-mutex";
import type { Db } from "../../db/client.ts";
import { selectRows, sql } from "../../db/raw-sql.ts";
import { CHUNK_SIZE } from "../../storage/chunk-codec.ts";
import { CodecError, CodecPool } from "../../storage/codec-pool.ts";
import type { ImageStore } from "../../storage/image-store.ts";
import { storeFault } from "../../storage/store-errors.ts";
import { transitionTemplates, IntegrityError, describeSystemError, faultOf, naming, type Clock } from "../kernel/index.ts";
import { ChunkRows } from "./chunk-rows.ts";
import { settleRetirement } from "./rules.ts";
import type { ChunkStoreLock } from "./store-lock.ts";

export interface StoredChunk {
  hash: string;
  /** The chunk's bytes, in the buffer given to put (it went to a codec worker and came back). */
  raw: Buffer;
  /** Compressed size of the chunk in the store. */
  storedBytes: number;
}

/** Chunk names in messages: enough to find it, short enough to read. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/**
 * Chunks being hashed, compressed or decoded at once, across every operation: four captures
 * together take the codec workers and the main thread no more than one does, so requests are
 * not starved and the operations do not slow each other down by contention. An operation's
 * own window (capture, restore, verify) is as wide: one alone may use every slot.
 */
export const CHUNKS_AT_ONCE = 8;

export class Chunks {
  readonly lock: ChunkStoreLock;
  /** The key this catalogue's rows carry. */
  readonly key: string;
  private readonly slots = new Semaphore(CHUNKS_AT_ONCE);
  /** Chunks this process is writing now: a second capture of the same bytes waits for the first. */
  private readonly writing = new Map<string, Promise<{ storedBytes: number }>>();
  private readonly rows: ChunkRows;
  /**
   * Buffers compressed chunks are written into, reused: a new one per chunk (1 GiB of capture
   * made 350 MB of them) kept the collector busy on the thread that serves requests. At most
   * one per slot is in use.
   */
  private readonly compressedBuffers: Buffer[] = [];

  private readonly db: Db;
  /** The store whose chunks this catalogue keeps (and where its templates' manifests go). */
  readonly store: ImageStore;
  private readonly codec: CodecPool;
  private readonly clock: Clock;
  constructor(
    db: Db,
    store: ImageStore,
    codec: CodecPool,
    clock: Clock,
    lock: ChunkStoreLock,
    key: string,
  ) {
    this.lock = lock;
    this.key = key;
    this.db = db;
    this.store = store;
    this.codec = codec;
    this.clock = clock;
    this.rows = new ChunkRows(db, key);
  }

  /**
   * Names a chunk by its SHA-256 and stores it unless the store has it, present and not
   * known to be damaged (a missing or damaged chunk is rewritten from these bytes, which
   * heals the templates that use it). Named before it is compressed: a chunk the store has
   * is never compressed again. The chunk's buffer moves to a codec worker and comes back as
   * `raw` (see CodecPool.hash). Call under `lock.shared`, and reference the chunk before the
   * lock is released.
   */
  put(raw: Buffer): Promise<StoredChunk> {
    return this.slots.runExclusive(() => this.storeOnce(raw));
  }

  private async storeOnce(raw: Buffer): Promise<StoredChunk> {
    const { sha256: hash, raw: named } = await this.codec.hash(raw);
    // Only committed rows: a row being written by this process is in `writing`, looked at
    // after the last await so that two puts of the same new bytes write them once.
    const known = await this.knownRow(hash);
    const pending = this.writing.get(hash);
    if (pending) return { hash, raw: named, storedBytes: (await pending).storedBytes };
    if (known && !known.damagedAt && (await this.store.hasChunk(hash))) return { hash, raw: named, storedBytes: known.storedBytes };
    const write = this.compressAndStore(hash, named, known !== undefined);
    this.writing.set(hash, write);
    try {
      return { hash, ...(await write) };
    } finally {
      this.writing.delete(hash);
    }
  }

  private newCompressedBuffer(): Buffer {
    return Buffer.allocUnsafeSlow(CodecPool.compressedSizeAtMost(CHUNK_SIZE));
  }

  private async compressAndStore(hash: string, raw: Buffer, known: boolean): Promise<{ raw: Buffer; storedBytes: number }> {
    const sizeBytes = raw.length;
    const { compressed, raw: back } = await this.codec.compress(raw, this.compressedBuffers.pop() ?? this.newCompressedBuffer());
    const storedBytes = compressed.length;
    // The file first: a row always means the bytes are on the store.
    await naming(this.store.name, () => this.store.putChunk(hash, compressed)).finally(() => this.compressedBuffers.push(Buffer.from(compressed.buffer)));
    await this.recordStored(hash, sizeBytes, storedBytes, known);
    return { raw: back, storedBytes };
  }

  /** The chunk's committed catalogue row in this store, if it has one. */
  private async knownRow(hash: string): Promise<{ storedBytes: number; damagedAt: Date | null } | undefined> {
    const [row] = await selectRows<{ storedBytes: number; damagedAt: Date | null }>(
      this.db,
      sql`SELECT "storedBytes", "damagedAt" FROM "Chunk" WHERE "store" = ${this.key} AND "hash" = ${hash}`,
    );
    return row;
  }

  /** The row of a chunk just written to the store: a new one, or the known one healed. */
  private async recordStored(hash: string, sizeBytes: number, storedBytes: number, known: boolean): Promise<void> {
    if (known) {
      await this.db.chunk.update({ where: { store_hash: { store: this.key, hash } }, data: { damagedAt: null, storedBytes } });
      await this.healTemplates([hash]);
      return;
    }
    try {
      await this.rows.insert({ hash, sizeBytes, storedBytes, createdAt: this.clock.now() });
    } catch (error) {
      // No row (a full database): the file must not stay, nothing would ever remove it.
      await this.store.deleteChunk(hash);
      throw error;
    }
  }

  /** Records that the template uses these chunks (idempotent). */
  async reference(templateId: string, hashes: Iterable<string>): Promise<void> {
    const unique = [...new Set(hashes)];
    const existing = new Set(
      (await this.db.templateChunk.findMany({ where: { templateId, store: this.key }, select: { hash: true } })).map((row) => row.hash),
    );
    const missing = unique.filter((hash) => !existing.has(hash));
    const BATCH = 500;
    for (let i = 0; i < missing.length; i += BATCH) {
      await this.db.templateChunk.createMany({ data: missing.slice(i, i + BATCH).map((hash) => ({ templateId, store: this.key, hash })) });
    }
  }

  /**
   * Drops the template's references and removes every chunk no template uses any more.
   * Files go before rows: on a full disk, removing them is what makes room for the writes.
   */
  async release(templateId: string): Promise<number> {
    return this.lock.exclusive(async () => {
      await this.db.templateChunk.deleteMany({ where: { templateId, store: this.key } });
      return this.sweepUnreferenced();
    });
  }

  /**
   * Drops a template from this store: its references (and the chunks no other template needs
   * here), then its manifest. A store that does not answer keeps the manifest, which goes when
   * the template is deleted: false then.
   */
  async forget(templateId: string, globalIdentifier: string): Promise<boolean> {
    await this.release(templateId);
    try {
      await this.store.deleteManifest(globalIdentifier);
      return true;
    } catch (error) {
      if (storeFault(error) !== "unreachable") throw error;
      return false;
    }
  }

  /**
   * Removes unreferenced chunks: rows and files. Call under `lock.exclusive`. A store that does
   * not answer keeps its objects and their rows: the next sweep, once it answers, takes them,
   * and the rollback that asked goes on (an outage must not keep an operation from ending).
   */
  private async sweepUnreferenced(): Promise<number> {
    let removed = 0;
    for (;;) {
      const orphans = await this.db.chunk.findMany({ where: { store: this.key, templates: { none: {} } }, select: { hash: true }, take: 500 });
      if (orphans.length === 0) return removed;
      try {
        await this.store.deleteChunks(orphans.map((orphan) => orphan.hash));
      } catch (error) {
        if (storeFault(error) === "unreachable") return removed;
        throw faultOf(error, this.store.name) ?? error;
      }
      const { count } = await this.db.chunk.deleteMany({ where: { store: this.key, hash: { in: orphans.map((o) => o.hash) }, templates: { none: {} } } });
      removed += count;
    }
  }

  /** Removes chunk files the catalogue does not know (a crash between a file's rename and its row). */
  async sweepUnknownFiles(): Promise<number> {
    return this.lock.exclusive(async () => {
      const files = await this.store.listChunks();
      const known = new Set((await this.db.chunk.findMany({ where: { store: this.key }, select: { hash: true } })).map((row) => row.hash));
      const unknown = files.filter((hash) => !known.has(hash));
      await naming(this.store.name, () => this.store.deleteChunks(unknown));
      return unknown.length;
    });
  }

  /**
   * Reads a chunk back, verifying it against its name. A chunk that is missing or does not
   * match is recorded as damaged (its templates become DAMAGED) and is an IntegrityError;
   * `context` names the template and volume for the message. With `into`, the chunk is
   * decoded into that memory (CodecPool.decompress), and the result is a view of it.
   */
  read(hash: string, context: string, into?: Buffer): Promise<Buffer> {
    return this.slots.runExclusive(() => this.readVerified(hash, context, into));
  }

  private async readVerified(hash: string, context: string, into?: Buffer): Promise<Buffer> {
    return (await this.decode(hash, await this.fetch(hash, context), context, into)).raw;
  }

  /**
   * A chunk's stored bytes (compressed), checked against its name first, as `read` checks: for
   * an export, which carries them as they are. Damage is recorded and an IntegrityError.
   */
  readStored(hash: string, context: string): Promise<Buffer> {
    return this.slots.runExclusive(async () => {
      const stored = await this.fetch(hash, context);
      // A copy goes to the codec worker, which takes the memory it is given.
      await this.decode(hash, Buffer.from(stored), context);
      return stored;
    });
  }

  /**
   * Takes a chunk from outside (an imported bundle): its stored bytes are decoded and checked
   * against `hash` first, so bytes that do not match never reach the store (an IntegrityError,
   * recorded nowhere: the damage is the file's); then written unless the store has the chunk
   * whole. Call under the lock (shared) and reference the chunk before it is released.
   * Resolves with its raw size.
   */
  putStored(hash: string, stored: Buffer, context: string): Promise<number> {
    return this.slots.runExclusive(async () => {
      let decoded: { raw: Buffer; sha256: string };
      try {
        decoded = await this.codec.decompress(Buffer.from(stored));
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        throw new IntegrityError(`${context}: chunk ${shortHash(hash)} is damaged (it does not decode)`, [hash]);
      }
      if (decoded.sha256 !== hash) throw new IntegrityError(`${context}: chunk ${shortHash(hash)} is damaged (its bytes do not match its name)`, [hash]);
      const known = await this.knownRow(hash);
      if (!(known && !known.damagedAt && (await this.store.hasChunk(hash)))) {
        await naming(this.store.name, () => this.store.putChunk(hash, stored));
        await this.recordStored(hash, decoded.raw.length, stored.length, known !== undefined);
      }
      return decoded.raw.length;
    });
  }

  /**
   * Copies a chunk of this store into `target`'s store unless it has it whole (a row, not
   * damaged, and the object): the stored bytes go as they are, then are decoded here and
   * checked against the name. A chunk that does not match is removed from the target again,
   * recorded damaged here, and is an IntegrityError. Call under the lock (shared) and reference
   * the chunk in `target` before it is released. Resolves whether bytes moved.
   */
  copyTo(target: Chunks, hash: string, context: string): Promise<boolean> {
    return this.slots.runExclusive(async () => {
      const known = await target.knownRow(hash);
      if (known && !known.damagedAt && (await target.store.hasChunk(hash))) return false;
      const stored = await this.fetch(hash, context);
      const storedBytes = stored.length;
      await naming(target.store.name, () => target.store.putChunk(hash, stored));
      let sizeBytes: number;
      try {
        // Decoded after the upload: the buffer moves to a codec worker, and is not copied.
        sizeBytes = (await this.decode(hash, stored, context)).raw.length;
      } catch (error) {
        await target.store.deleteChunk(hash).catch(() => undefined);
        throw error;
      }
      await target.recordStored(hash, sizeBytes, storedBytes, known !== undefined);
      return true;
    });
  }

  /** The chunk's stored bytes; a missing one is recorded damaged (IntegrityError), an unreachable store is UNAVAILABLE. */
  private async fetch(hash: string, context: string): Promise<Buffer> {
    try {
      return await this.store.getChunk(hash);
    } catch (error) {
      const fault = storeFault(error);
      // A store that does not answer, or refuses, says nothing about the chunk.
      if (fault === "unreachable" || fault === "refused") throw faultOf(error, this.store.name);
      if (fault !== "missing") {
        throw new IntegrityError(`${context}: chunk ${shortHash(hash)} could not be read (${describeSystemError(error)})`, [hash]);
      }
      await this.markDamaged([hash]);
      throw new IntegrityError(`${context}: chunk ${shortHash(hash)} is missing from the ${this.store.name}`, [hash]);
    }
  }

  /** Decodes stored bytes and checks them against the name; damaged ones are recorded (IntegrityError). */
  private async decode(hash: string, stored: Buffer, context: string, into?: Buffer): Promise<{ raw: Buffer }> {
    let chunk: { raw: Buffer; sha256: string } | null = null;
    try {
      chunk = await this.codec.decompress(stored, into);
    } catch (error) {
      // Only bytes zstd cannot decode are damage; a thread that died is not the chunk's fault.
      if (!(error instanceof CodecError)) throw error;
    }
    if (!chunk || chunk.sha256 !== hash) {
      await this.markDamaged([hash]);
      throw new IntegrityError(`${context}: chunk ${shortHash(hash)} is damaged (its bytes do not match its checksum)`, [hash]);
    }
    return chunk;
  }

  /** Records chunks as damaged; every usable template (retired ones too) that uses one becomes DAMAGED. */
  async markDamaged(hashes: string[]): Promise<void> {
    await this.db.$transaction([
      this.db.chunk.updateMany({ where: { store: this.key, hash: { in: hashes } }, data: { damagedAt: this.clock.now() } }),
      transitionTemplates(this.db, { chunks: { some: { store: this.key, hash: { in: hashes } } } }, "DAMAGED", {}, ["ACTIVE", "DEPRECATED", "OBSOLETE"]),
    ]);
  }

  /** Records chunks as whole again (a verify read them intact), healing their templates. */
  async markWhole(hashes: string[]): Promise<void> {
    await this.db.chunk.updateMany({ where: { store: this.key, hash: { in: hashes }, damagedAt: { not: null } }, data: { damagedAt: null } });
    await this.healTemplates(hashes);
  }

  /**
   * DAMAGED templates that use these chunks, and no chunk still damaged, are ACTIVE again, or
   * DEPRECATED or OBSOLETE when their retirement times have come.
   */
  private async healTemplates(hashes: string[]): Promise<void> {
    const using = { chunks: { some: { store: this.key, hash: { in: hashes } } } };
    await this.db.$transaction([
      transitionTemplates(this.db, { ...using, NOT: { chunks: { some: { chunk: { damagedAt: { not: null } } } } } }, "ACTIVE", {}, ["DAMAGED"]),
      ...settleRetirement(this.db, this.clock.now(), using),
    ]);
  }

  /** The template's damaged chunks, if any. */
  async damagedOf(templateId: string): Promise<string[]> {
    const rows = await this.db.templateChunk.findMany({
      where: { templateId, chunk: { damagedAt: { not: null } } },
      select: { hash: true },
    });
    return rows.map((row) => row.hash);
  }
}
