// Writes a captured volume back from the image store: every chunk verified against its
// name as it is read, holes left as holes (never written), and the chunk list checked
// against the volume's digest before anything is written.
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
  const volume = await naming(target, () => deps.volumes.openWriter(volumeId));
  try {
    for (const [index, hash] of entries) {
      skipHolesUntil(index);
      next = index + 1;
      signal.throwIfAborted();
      await window.add(async () => {
        const raw = await chunks.read(hash, what, buffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE));
        await naming(target, () => volume.write(raw, index * CHUNK_SIZE));
        buffers.push(Buffer.from(raw.buffer));
        deps.metrics.bytesMoved("restored", raw.length);
        progress.advance(raw.length);
      });
    }
    await window.drain();
    skipHolesUntil(Math.ceil(length / CHUNK_SIZE));
    await naming(target, () => volume.finish());
  } finally {
    // Chunks still in flight settle before the file closes and the caller cleans up.
    await window.drain().catch(() => undefined).finally(() => volume.close());
  }
}
