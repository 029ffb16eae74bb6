// Looking at the real files behind the API: volume files and the image store.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import type { TestApp } from "./app.js";

export function rawId(globalId: string): string {
  return Buffer.from(globalId, "base64").toString().split(":")[1];
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
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
