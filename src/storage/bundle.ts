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

/** The file is not a bundle this imprint can read; the message says what is wrong with it. */
export class BadBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadBundleError";
  }
}

/** Checks a bundle's header as JSON: its format, and a version this reader knows. */
export function parseBundleHeader(text: string): BundleHeader {
  let header: BundleHeader;
  try {
    header = JSON.parse(text) as BundleHeader;
  } catch {
    throw new BadBundleError(`not a bundle: ${BUNDLE_HEADER} is not JSON`);
  }
  if (header?.bundleFormat !== BUNDLE_FORMAT) throw new BadBundleError(`not a bundle: ${BUNDLE_HEADER} does not say "${BUNDLE_FORMAT}"`);
  if (!Number.isInteger(header.bundleVersion) || header.bundleVersion > BUNDLE_VERSION) {
    throw new BadBundleError(`a bundle of version ${header.bundleVersion}, newer than this imprint reads (${BUNDLE_VERSION})`);
  }
  if (!Array.isArray(header.chunks) || typeof header.manifest !== "object" || header.manifest === null) throw new BadBundleError("not a bundle: its header has no manifest or chunk list");
  return header;
}

/**
 * Reads a bundle from `input`: the header (which must come first), then each chunk member with
 * its stored bytes, one at a time. Anything that is not a tar of that shape is a BadBundleError.
 */
export async function* readBundle(input: NodeJS.ReadableStream): AsyncGenerator<{ header: BundleHeader } | { hash: string; stored: Buffer }> {
  const extract = tar.extract();
  input.on("error", (error) => extract.destroy(error));
  input.pipe(extract);
  let header: BundleHeader | null = null;
  try {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const part of entry) parts.push(part as Buffer);
      const data = Buffer.concat(parts);
      if (!header) {
        if (entry.header.name !== BUNDLE_HEADER) throw new BadBundleError(`not a bundle: it does not start with ${BUNDLE_HEADER}`);
        header = parseBundleHeader(data.toString("utf8"));
        yield { header };
        continue;
      }
      const hash = /^chunks\/([0-9a-f]{64})\.zst$/.exec(entry.header.name)?.[1];
      if (!hash) throw new BadBundleError(`not a bundle: it holds ${JSON.stringify(entry.header.name)}, which is no chunk`);
      yield { hash, stored: data };
    }
  } catch (error) {
    if (error instanceof BadBundleError) throw error;
    throw new BadBundleError(`not a bundle: ${header ? "its archive is cut short or damaged" : "not a tar archive"} (${(error as Error).message})`);
  }
  if (!header) throw new BadBundleError("not a bundle: the file is empty");
}
