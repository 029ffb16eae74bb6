// npm run verify-volume -- FILE DIGEST [--manifest PATH]: checks a raw disk file against a
// template volume's digest (docs/manifest-format.md). Exit 0 when it matches. Exit 1 when it
// does not, naming the first differing chunk; the chunk list to compare with comes from the
// manifest given, or else from the manifest in the local image store that holds DIGEST.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { CHUNK_SIZE } from "../src/storage/chunk-codec.ts";
import { chunkListOfFile, volumeDigest, type ChunkList } from "../src/storage/volume-digest.ts";

interface ManifestVolume {
  index: number;
  lengthBytes: number;
  digest?: string;
  chunks: Array<[number, string]>;
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { manifest: { type: "string" } } });
const [file, expected] = positionals;
if (!file || !/^[0-9a-f]{64}$/.test(expected ?? "")) {
  console.error("usage: npm run verify-volume -- FILE DIGEST [--manifest PATH]   (DIGEST: 64 hex digits)");
  process.exit(2);
}

const { lengthBytes, chunks } = await chunkListOfFile(file);
const actual = volumeDigest(lengthBytes, chunks);
if (actual === expected) {
  console.log(`${file}: matches ${expected} (${chunks.length} data chunks of ${Math.ceil(lengthBytes / CHUNK_SIZE)})`);
  process.exit(0);
}

console.log(`${file}: DIFFERS: its digest is ${actual}, not ${expected}`);
const captured = await findCapturedVolume(expected, values.manifest);
if (!captured) {
  console.log("no manifest with that digest was found (give one with --manifest) to name the first differing chunk");
} else if (captured.lengthBytes !== lengthBytes) {
  console.log(`the file is ${lengthBytes} bytes; the captured volume was ${captured.lengthBytes}`);
} else {
  const index = firstDifference(captured.chunks, chunks);
  const range = `bytes ${index * CHUNK_SIZE}..${Math.min((index + 1) * CHUNK_SIZE, lengthBytes) - 1}`;
  console.log(`first differing chunk: ${index} (${range}), captured ${describe(captured.chunks, index)}, file has ${describe(chunks, index)}`);
}
process.exit(1);

async function findCapturedVolume(digest: string, manifest: string | undefined): Promise<ManifestVolume | null> {
  const files = manifest ? [manifest] : await storeManifests();
  for (const name of files) {
    const volumes = (JSON.parse(await readFile(name, "utf8")) as { volumes?: ManifestVolume[] }).volumes ?? [];
    const match = volumes.find((v) => v.digest === digest);
    if (match) return match;
  }
  return null;
}

async function storeManifests(): Promise<string[]> {
  const dir = path.join(loadConfig().dataDir, "store", "manifests");
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(".json")).map((n) => path.join(dir, n));
}

function firstDifference(a: ChunkList, b: ChunkList): number {
  const at = (list: ChunkList) => new Map(list.map(([i, h]) => [i, h]));
  const [left, right] = [at(a), at(b)];
  const indexes = [...new Set([...left.keys(), ...right.keys()])].sort((x, y) => x - y);
  return indexes.find((i) => left.get(i) !== right.get(i)) ?? -1;
}

function describe(list: ChunkList, index: number): string {
  const hash = list.find(([i]) => i === index)?.[1];
  return hash ? `sha256 ${hash.slice(0, 12)}…` : "a hole (zeros)";
}
