// The bundle file format (docs/bundle-format.md): a tar archive of a header and a template's
// chunks as the store keeps them. Writing only; what is in it is the caller's.
import { createHash } from "node:crypto";
import { Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

export const BUNDLE_FORMAT = "imprint-bundle";
export const BUNDLE_VERSION = 1;
export const BUNDLE_HEADER = "imprint-bundle.json";

export interface BundleHeader {
  bundleFormat: typeof BUNDLE_FORMAT;
  bundleVersion: number;
  template: { name: string; note: string; kind: string; family: string | null };
  /** The template's manifest (docs/manifest-format.md), as its store has it. */
  manifest: unknown;
  /** Every distinct chunk, in the order their members follow. */
  chunks: Array<{ hash: string; storedBytes: number }>;
}

export const chunkMember = (hash: string) => `chunks/${hash}.zst`;

/**
 * Writes a bundle into `out`: the header, then each chunk `read` gives (its stored bytes), in
 * the header's order, one at a time so memory stays one chunk. Resolves with the file's SHA-256
 * and size once `out` has it all.
 */
export async function writeBundle(
  out: Writable,
  header: BundleHeader,
  read: (hash: string) => Promise<Buffer>,
  { signal, onChunk }: { signal?: AbortSignal; onChunk?: (storedBytes: number) => void } = {},
): Promise<{ sha256: string; sizeBytes: number }> {
  const pack = tar.pack();
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const counted = new Transform({
    transform(data: Buffer, _encoding, done) {
      hash.update(data);
      sizeBytes += data.length;
      done(null, data);
    },
  });
  const written = pipeline(pack, counted, out, { signal });
  const entry = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, size: data.length }, data, (error) => (error ? reject(error) : resolve())));
  try {
    await entry(BUNDLE_HEADER, Buffer.from(JSON.stringify(header)));
    for (const chunk of header.chunks) {
      signal?.throwIfAborted();
      const stored = await read(chunk.hash);
      await entry(chunkMember(chunk.hash), stored);
      onChunk?.(stored.length);
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  return { sha256: hash.digest("hex"), sizeBytes };
}
