// The one invariant checker of the fault tests (and of the soak benchmark): what must hold
// after any fault, once the faulty operation has ended (and after a restart where the
// process died). It returns the violations, so a failure lists all of them.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import zstd from "zstd-napi";
import type { App } from "../../src/app.ts";
import { GraphQLClient } from "./clients.ts";
import { fileDigest } from "./store.ts";

const TRANSITIONAL = ["PROVISIONING", "CAPTURING", "RELOADING", "DELETING"];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

export interface InvariantOptions {
  /** Operations allowed to be still QUEUED or RUNNING (e.g. work of another test). */
  liveOperations?: string[];
}

export async function checkInvariants(app: App, dataDir: string, url: string, options: InvariantOptions = {}): Promise<string[]> {
  const { db, store } = app.domain.deps;
  const problems: string[] = [];
  const live = new Set(options.liveOperations ?? []);

  const unfinished = await db.operation.findMany({ where: { status: { in: ["QUEUED", "RUNNING"] } } });
  for (const op of unfinished) if (!live.has(op.id)) problems.push(`operation ${op.id} (${op.kind}) is still ${op.status}`);
  const liveIds = new Set(unfinished.map((op) => op.id));

  for (const server of await db.server.findMany({ include: { volumes: true } })) {
    const busy = server.activeOperationId !== null && liveIds.has(server.activeOperationId);
    if (TRANSITIONAL.includes(server.status) && !busy) problems.push(`server ${server.fqdn} is ${server.status} with no operation running`);
    if (server.activeOperationId && !busy) problems.push(`server ${server.fqdn} is locked by ended operation ${server.activeOperationId}`);
    if (server.status === "ACTIVE") {
      for (const volume of server.volumes) {
        if (!existsSync(app.domain.deps.volumes.pathOf(volume.id))) problems.push(`server ${server.fqdn} is ACTIVE without volume ${volume.index}`);
      }
    }
  }

  // No template ACTIVE unless every chunk it uses is present and intact.
  const templates = await db.imageTemplate.findMany({ where: { status: "ACTIVE" }, include: { volumes: true } });
  const verified = new Map<string, boolean>();
  for (const template of templates) {
    for (const volume of template.volumes) {
      for (const [, hash] of JSON.parse(volume.chunks) as Array<[number, string]>) {
        if (!verified.has(hash)) {
          let intact = false;
          try {
            const raw = zstd.decompress(await store.getChunk(hash));
            intact = createHash("sha256").update(raw).digest("hex") === hash;
          } catch {
            intact = false;
          }
          verified.set(hash, intact);
        }
        if (!verified.get(hash)) problems.push(`template ${template.name} is ACTIVE but chunk ${hash.slice(0, 12)} of volume ${volume.index} is missing or damaged`);
      }
    }
  }

  // The store holds exactly the chunks its catalogue knows and templates reference there.
  const key = app.domain.deps.chunks.key;
  const files = new Set(await store.listChunks());
  const rows = new Set((await db.chunk.findMany({ where: { store: key }, select: { hash: true } })).map((row) => row.hash));
  const referenced = new Set((await db.templateChunk.findMany({ where: { store: key }, select: { hash: true } })).map((row) => row.hash));
  for (const hash of files) if (!rows.has(hash)) problems.push(`chunk file ${hash.slice(0, 12)} has no catalogue row`);
  for (const hash of rows) if (!referenced.has(hash)) problems.push(`chunk ${hash.slice(0, 12)} is referenced by no template`);
  for (const hash of referenced) {
    const damaged = (await db.chunk.findUnique({ where: { store_hash: { store: key, hash } }, select: { damagedAt: true } }))?.damagedAt;
    if (!files.has(hash) && !damaged) problems.push(`chunk ${hash.slice(0, 12)} is referenced, missing, and not known to be damaged`);
  }

  // No temporary files anywhere under the data directory.
  for (const file of walk(dataDir)) {
    const name = path.basename(file);
    if (name.startsWith(".tmp-") || name.includes("_reload") || /\.tmp$/.test(path.dirname(file))) problems.push(`temporary file left: ${path.relative(dataDir, file)}`);
  }

  // The service answers another account over HTTP.
  const { token } = await app.domain.accounts.create(`invariants-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const answer = await new GraphQLClient(url, token).raw(`{ viewer { name } servers(first: 1) { totalCount } }`);
    if (answer.status !== 200 || answer.body.errors) problems.push(`the service did not answer: ${answer.status} ${JSON.stringify(answer.body.errors)}`);
  } catch (error) {
    problems.push(`the service did not answer: ${(error as Error).message}`);
  }
  return problems;
}

/** Digests of a server's volume files, to compare before and after a fault. */
export async function volumeChecksums(app: App, serverId: string): Promise<Record<number, string>> {
  const volumes = await app.domain.deps.db.volume.findMany({ where: { serverId }, orderBy: { index: "asc" } });
  const sums: Record<number, string> = {};
  for (const volume of volumes) sums[volume.index] = await fileDigest(app.domain.deps.volumes.pathOf(volume.id));
  return sums;
}
