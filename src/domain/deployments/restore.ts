// Writes a captured volume back from the image store: every chunk verified against its
// name as it is read, holes left as holes (never written), and the chunk list checked
// against the volume's digest before anything is written.
import type { FileHandle } from "node:fs/promises";
import { CHUNK_SIZE } from "../../storage/chunk-codec.ts";
import { volumeDigest } from "../../storage/volume-digest.ts";
import type { DomainDeps } from "../deps.ts";
import { IntegrityError, naming, TaskWindow } from "../kernel/index.ts";
import type { Progress } from "../operations/index.ts";
import { CHUNKS_AT_ONCE, type Chunks, type TemplateVolumeRow } from "../templates/index.ts";

export interface RestoreTarget {
  deps: DomainDeps;
  signal: AbortSignal;
  progress: Progress;
  /** The catalogue of the store that serves the server's datacenter. */
  chunks: Chunks;
}

/**
 * `volumeId` must exist, as a sparse file of the template volume's length; `target` names it
 * in errors (e.g. "volume 1 of server web02.example.com").
 */
export async function restoreVolume(
  { deps, signal, progress, chunks }: RestoreTarget,
  source: TemplateVolumeRow,
  template: { name: string; globalIdentifier: string },
  volumeId: string,
  target: string,
): Promise<void> {
  const what = `image template "${template.name}" (${template.globalIdentifier}), volume ${source.index}`;
  const length = Number(source.lengthBytes);
  const entries = JSON.parse(source.chunks) as Array<[number, string]>;
  // The chunks are checked one by one against their names as they are read; this proves
  // the list itself (which chunk goes where) is the one captured.
  if (volumeDigest(length, entries) !== source.digest) throw new IntegrityError(`${what}: its chunk list does not match the volume's digest`);
  const chunkLength = (index: number) => Math.min(CHUNK_SIZE, length - index * CHUNK_SIZE);
  let next = 0;
  const skipHolesUntil = (index: number) => {
    for (; next < index; next++) progress.advance(chunkLength(next));
  };
  // Several chunks at once, each read, decoded and verified (on a codec worker) and written at
  // its place: a chunk's write overlaps the next ones' decoding.
  const window = new TaskWindow(CHUNKS_AT_ONCE);
  // Each chunk is decoded into one of a few buffers that go back and forth to the codec
  // workers: a new 4 MiB buffer per chunk cost page faults and collections (bench/findings.md).
  // A buffer lost with a failed chunk is not given back; the restore fails anyway.
  const buffers: Buffer[] = [];
  const file = await naming(target, () => deps.volumes.open(volumeId, "write"));
  const flush = new FlushBehind(file);
  try {
    for (const [index, hash] of entries) {
      skipHolesUntil(index);
      next = index + 1;
      signal.throwIfAborted();
      await window.add(async () => {
        const raw = await chunks.read(hash, what, buffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE));
        await naming(target, () => file.write(raw, 0, raw.length, index * CHUNK_SIZE));
        buffers.push(Buffer.from(raw.buffer));
        flush.wrote(raw.length);
        deps.metrics.bytesMoved("restored", raw.length);
        progress.advance(raw.length);
      });
    }
    await window.drain();
    skipHolesUntil(Math.ceil(length / CHUNK_SIZE));
    await naming(target, () => flush.finish());
  } finally {
    // Chunks and flushes still in flight settle before the file closes and the caller cleans up.
    await window.drain().catch(() => undefined).finally(() => flush.settled()).finally(() => file.close());
  }
}

/** How much a restore writes between two flushes behind it. */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Flushes a file's data to disk behind its writes, one flush at a time, so the sync that ends
 * a restore has little left: the disk writes while the next chunks decode (a 1 GiB restore's
 * final fsync took 0.5 s here). A flush that fails fails `finish`.
 */
class FlushBehind {
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private unflushed = 0;

  private readonly file: FileHandle;
  constructor(file: FileHandle) {
    this.file = file;
  }

  wrote(bytes: number): void {
    this.unflushed += bytes;
    if (this.unflushed < FLUSH_EVERY_BYTES || this.failure) return;
    this.unflushed = 0;
    this.pending = this.pending.then(() => this.file.datasync()).catch((error) => {
      this.failure ??= { error };
    });
  }

  /** Waits for the flushes behind, then flushes the rest. */
  async finish(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure.error;
    await this.file.datasync();
  }

  settled(): Promise<void> {
    return this.pending;
  }
}
