// CAPTURE: halt the server, read its volumes in 4 MiB chunks into the image store
// (zero chunks as holes, each chunk stored once), record its configuration and the
// manifest, and bring the server back to the power state it had.
import { CHUNK_SIZE, isAllZero } from "../../storage/chunk-codec.ts";
import { readFully } from "../../storage/files.ts";
import { volumeDigest, VOLUME_DIGEST_NAME } from "../../storage/volume-digest.ts";
import { GIB, naming, TaskWindow, transitionServer, transitionTemplates } from "../kernel/index.ts";
import type { Pipeline, RollbackContext, RunContext } from "../operations/index.ts";
import type { DomainDeps } from "../deps.ts";
import type { PowerState, VolumeRole } from "../kernel/index.ts";
import { CHUNKS_AT_ONCE, type Chunks } from "./chunks.ts";
import type { CaptureRun, RecordedConfiguration } from "./templates.ts";
import { returnMachineTo, stopMachine } from "../servers/index.ts";

interface Undo {
  /** The power state to return the server to, recorded before it is changed. */
  powerStateBefore: PowerState;
}

/** 2: a volume's `digest` is over its chunk list (docs/manifest-format.md); 1 had the SHA-256 of the whole file. */
export const MANIFEST_FORMAT_VERSION = 2;

export interface CapturedVolume {
  index: number;
  role: VolumeRole;
  capacityGb: number;
  lengthBytes: number;
  dataBytes: number;
  /** Compressed bytes of the volume's distinct chunks in the store, shared or not. */
  storedBytes: number;
  /** storage/volume-digest.ts: over the chunk list, holes included. */
  digest: string;
  /** [chunkIndex, sha256] of every non-zero chunk; other indexes are holes. */
  chunks: Array<[number, string]>;
}

export const capturePipeline: Pipeline<CaptureRun, Undo> = {
  kind: "CAPTURE",
  cancellableWhileRunning: true,

  async run(ctx) {
    const { operation, input, deps, progress, remember, lease } = ctx;
    const { db } = deps;
    const server = await db.server.findUniqueOrThrow({
      where: { id: operation.serverId! },
      include: { volumes: { orderBy: { index: "asc" } } },
    });
    const template = await db.imageTemplate.findUniqueOrThrow({ where: { id: operation.imageTemplateId! } });
    const selected = server.volumes.filter((v) => input.volumeIndexes.includes(v.index));
    // Into the store of the server's datacenter: the template's first location.
    const chunks = deps.stores.in(server.datacenter);

    await progress.step("powering off");
    await remember({ powerStateBefore: server.powerState });
    // Offline while its volumes are read, as a provider's capture "takes your server offline".
    await stopMachine(deps, server.id);
    await db.server.update({ where: { id: server.id }, data: { powerState: "HALTED" } });
    for (const volume of selected) progress.addTotal(volume.capacityGb * GIB);

    const captured: CapturedVolume[] = [];
    /** Compressed size of every chunk the template uses: what it needs from the store. */
    const chunkSizes = new Map<string, number>();
    await chunks.lock.shared(async () => {
      for (const [i, volume] of selected.entries()) {
        await progress.step(`capturing volume ${i + 1} of ${selected.length}`);
        captured.push(await captureVolume(ctx, chunks, { ...volume, serverFqdn: server.fqdn }, chunkSizes));
      }
      // Referenced before the lock is released, so no sweep can take these chunks away; not
      // once the operation was taken over (its new owner has released this template's chunks).
      await lease.check();
      await chunks.reference(template.id, captured.flatMap((v) => v.chunks.map(([, hash]) => hash)));
    }, operation.id);

    await progress.step("recording configuration");
    const configuration: RecordedConfiguration = {
      kind: server.kind,
      os: server.os,
      cpu: server.cpu,
      memoryMb: server.memoryMb,
      datacenter: server.datacenter,
      volumes: server.volumes.map((v) => ({ index: v.index, role: v.role, capacityGb: v.capacityGb, captured: input.volumeIndexes.includes(v.index) })),
      powerState: server.powerState,
    };
    await chunks.store.putManifest(template.globalIdentifier, {
      formatVersion: MANIFEST_FORMAT_VERSION,
      globalIdentifier: template.globalIdentifier,
      name: template.name,
      capturedAt: deps.clock.now().toISOString(),
      chunkSize: CHUNK_SIZE,
      chunkHash: "sha256",
      volumeDigest: VOLUME_DIGEST_NAME,
      compression: "zstd",
      configuration,
      volumes: captured,
    });
    // The template becomes ACTIVE only under the lease: an owner that was paused past a
    // takeover finds the template FAILED by its new owner and leaves it so.
    await lease.fenced(recordTemplate(deps, template.id, captured, configuration, [...chunkSizes.values()].reduce((sum, size) => sum + size, 0)));

    deps.metrics.bytesMoved("captured", captured.reduce((sum, v) => sum + v.dataBytes, 0));
    await progress.step("powering on");
    const failure = await restoreServer(ctx, server.id, server.powerState);
    if (failure) throw failure;
  },

  async rollback({ operation, undo, deps, reason, lease }) {
    const server = operation.serverId ? await deps.db.server.findUnique({ where: { id: operation.serverId }, select: { datacenter: true } }) : null;
    // The store it wrote into (the server is locked by the capture: it is there).
    const chunks = server ? deps.stores.in(server.datacenter) : deps.chunks;
    // A crash between a chunk file's rename and its catalogue row leaves a file nobody knows.
    if (reason === "interrupted") await chunks.sweepUnknownFiles();
    if (operation.imageTemplateId) {
      const template = await deps.db.imageTemplate.findUnique({ where: { id: operation.imageTemplateId } });
      // Only a template still being captured is undone: one that became ACTIVE is whole (the
      // capture failed later, powering the server back on), and stays.
      if (template?.status === "CAPTURING") {
        await failTemplate(deps, chunks, template);
      }
    }
    if (operation.serverId) {
      const failure = await restoreServer({ deps, lease }, operation.serverId, undo.powerStateBefore);
      if (failure) deps.log.warn("the server's machine did not start again after its capture ended", { serverId: operation.serverId, error: failure.message });
    }
  },
};

/**
 * The writes that make a template whose chunks are all stored (and referenced) ACTIVE: its
 * volumes and sizes, for `lease.fenced`. A capture's, and an import's.
 */
export function recordTemplate(
  deps: Pick<DomainDeps, "db" | "ids">,
  templateId: string,
  captured: CapturedVolume[],
  configuration: RecordedConfiguration,
  storedBytes: number,
) {
  return [
    ...captured.map((v) =>
      deps.db.templateVolume.create({
        data: {
          id: deps.ids.next("tvol"),
          templateId,
          index: v.index,
          role: v.role,
          capacityGb: v.capacityGb,
          lengthBytes: BigInt(v.lengthBytes),
          dataBytes: BigInt(v.dataBytes),
          storedBytes: BigInt(v.storedBytes),
          digest: v.digest,
          chunks: JSON.stringify(v.chunks),
        },
      }),
    ),
    transitionTemplates(deps.db, { id: templateId }, "ACTIVE", {
      configuration: JSON.stringify(configuration),
      sizeBytes: BigInt(captured.reduce((sum, v) => sum + v.dataBytes, 0)),
      storedBytes: BigInt(storedBytes),
    }),
  ];
}

/**
 * Undoes a template that was being made (a capture's or an import's): what it put into the
 * store goes, chunks first (on a full disk, removing them makes room for the writes below), and
 * it is FAILED.
 */
export async function failTemplate(deps: Pick<DomainDeps, "db" | "log">, chunks: Chunks, template: { id: string; globalIdentifier: string }): Promise<void> {
  if (!(await chunks.forget(template.id, template.globalIdentifier))) {
    deps.log.warn("the image store did not answer: a failed template's manifest stays until it is deleted", { templateId: template.id });
  }
  await deps.db.$transaction([
    deps.db.templateVolume.deleteMany({ where: { templateId: template.id } }),
    transitionTemplates(deps.db, { id: template.id }, "FAILED", { sizeBytes: 0n, storedBytes: 0n }),
  ]);
}

/**
 * The server is ACTIVE again, its machine in the power state it had before the capture. A
 * machine that will not start does not keep the server CAPTURING: it is ACTIVE and HALTED
 * (its true state), and the failure is returned for the caller to report.
 */
async function restoreServer({ deps, lease }: Pick<RollbackContext<unknown, unknown>, "deps" | "lease">, serverId: string, powerState: PowerState | undefined): Promise<Error | null> {
  const server = await deps.db.server.findUnique({ where: { id: serverId } });
  if (server?.status !== "CAPTURING") return null;
  // No power change and no status under a lost lease: the new owner restores the server.
  await lease.check();
  const { reached, failure } = await returnMachineTo(deps, serverId, powerState);
  await lease.fenced([transitionServer(deps.db, { id: serverId }, "ACTIVE", reached ? { powerState: reached } : {}, ["CAPTURING"])]);
  return failure;
}

async function captureVolume(
  { deps, signal, progress }: RunContext<CaptureRun, Undo>,
  store: Chunks,
  volume: { id: string; index: number; role: VolumeRole; capacityGb: number; serverFqdn: string },
  chunkSizes: Map<string, number>,
): Promise<CapturedVolume> {
  const source = `volume ${volume.index} of server ${volume.serverFqdn}`;
  const length = volume.capacityGb * GIB;
  const chunks: Array<[number, string]> = [];
  const volumeChunkSizes = new Map<string, number>();
  let dataBytes = 0;
  const window = new TaskWindow(CHUNKS_AT_ONCE);
  const extents = await naming(source, () => deps.volumes.dataExtents(volume.id));
  let extent = 0;
  /** Whether [offset, offset + size) may hold data; holes are not read. */
  const mayHoldData = (offset: number, size: number) => {
    if (!extents) return true;
    while (extent < extents.length && extents[extent][1] <= offset) extent++;
    return extent < extents.length && extents[extent][0] < offset + size;
  };
  const file = await naming(source, () => deps.volumes.open(volume.id, "read"));
  // Chunk buffers are reused: a data chunk's buffer travels to a codec worker and back while
  // the next chunks are read into others (at most one per chunk in flight, plus one).
  const freeBuffers: Buffer[] = [];
  try {
    for (let offset = 0, index = 0; offset < length; offset += CHUNK_SIZE, index++) {
      signal.throwIfAborted();
      const size = Math.min(CHUNK_SIZE, length - offset);
      if (!mayHoldData(offset, size)) {
        progress.advance(size);
        continue;
      }
      const buffer = freeBuffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE);
      const chunk = await naming(source, () => readFully(file, buffer, size, offset));
      if (isAllZero(chunk)) {
        freeBuffers.push(buffer);
        progress.advance(size);
        continue;
      }
      // Its name comes back from the codec worker; the entry keeps its place meanwhile.
      const entry: [number, string] = [index, ""];
      chunks.push(entry);
      dataBytes += size;
      // A short last chunk is a view of its buffer: it goes as a copy, the buffer stays here.
      const data = chunk.length === buffer.length ? buffer : Buffer.from(chunk);
      if (data !== buffer) freeBuffers.push(buffer);
      await window.add(async () => {
        const { hash, storedBytes, raw } = await store.put(data);
        if (raw.length === CHUNK_SIZE) freeBuffers.push(raw);
        entry[1] = hash;
        volumeChunkSizes.set(hash, storedBytes);
        chunkSizes.set(hash, storedBytes);
        progress.advance(size);
      });
    }
  } finally {
    await window.drain().finally(() => file.close());
  }
  const storedBytes = [...volumeChunkSizes.values()].reduce((sum, size) => sum + size, 0);
  const digest = volumeDigest(length, chunks);
  return { index: volume.index, role: volume.role, capacityGb: volume.capacityGb, lengthBytes: length, dataBytes, storedBytes, digest, chunks };
}

