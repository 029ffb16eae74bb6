// Looking at the real files behind the API: volume files and the image store.
import path from "node:path";
import { CHUNK_SIZE } from "../../src/storage/chunk-codec.ts";
import { chunkListOfFile, volumeDigest } from "../../src/storage/volume-digest.ts";
import type { TestApp } from "./app.ts";

export function rawId(globalId: string): string {
  return Buffer.from(globalId, "base64").toString().split(":")[1];
}

/** The API's global ID of a row (what `rawId` undoes). */
export function globalId(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`).toString("base64");
}

/** The volume digest of a file (holes are not read): equal digests, equal bytes. */
export async function fileDigest(file: string): Promise<string> {
  const { lengthBytes, chunks } = await chunkListOfFile(file);
  return volumeDigest(lengthBytes, chunks);
}

/** The digest of the file's first `length` bytes, or null when any byte after them is not zero. */
export async function prefixDigest(file: string, length: number): Promise<string | null> {
  const { chunks } = await chunkListOfFile(file);
  if (chunks.some(([index]) => index * CHUNK_SIZE >= length)) return null;
  return volumeDigest(length, chunks);
}

export async function volumePaths(t: TestApp, serverGlobalId: string): Promise<Map<number, string>> {
  const volumes = await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(serverGlobalId) } });
  return new Map(volumes.map((v) => [v.index, path.join(t.dataDir, "volumes", `${v.id}.raw`)]));
}

/** Chunk files on disk, catalogue rows, and hashes some template references: equal when nothing is orphaned. */
export async function storeAudit(t: TestApp) {
  const db = t.app.domain.deps.db;
  const files = (await t.app.domain.deps.store.listChunks()).sort();
  const rows = (await db.chunk.findMany({ select: { hash: true } })).map((r) => r.hash).sort();
  const referenced = [...new Set((await db.templateChunk.findMany({ select: { hash: true } })).map((r) => r.hash))].sort();
  return { files, rows, referenced };
}
