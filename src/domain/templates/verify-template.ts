// VERIFY_TEMPLATE: read back every chunk of a template, in the store of each datacenter where
// it is AVAILABLE (each store once), and check it against its name. A missing or damaged chunk
// is recorded on the chunk (its templates become DAMAGED) and the operation fails with
// INTEGRITY naming the chunks and volumes; a template whose chunks all read whole again is
// ACTIVE again.
import { IntegrityError, TaskWindow } from "../kernel/index.ts";
import { CHUNKS_AT_ONCE, shortHash, type Chunks } from "./chunks.ts";
import { storesHolding } from "./chunk-stores.ts";
import type { Pipeline, RunContext } from "../operations/index.ts";

interface VolumeChunks {
  index: number;
  entries: Array<[number, string]>;
}

export const verifyTemplatePipeline: Pipeline<unknown, object> = {
  kind: "VERIFY_TEMPLATE",
  cancellableWhileRunning: true,
  holdsTemplate: true,

  async run(ctx) {
    const { operation, deps, progress } = ctx;
    const template = await deps.db.imageTemplate.findUniqueOrThrow({
      where: { id: operation.imageTemplateId! },
      include: { volumes: { orderBy: { index: "asc" } } },
    });
    const volumes = template.volumes.map((volume) => ({ index: volume.index, entries: JSON.parse(volume.chunks) as Array<[number, string]> }));
    const stores = [...(await storesHolding(deps, template.id)).values()];
    for (const volume of template.volumes) progress.addTotal(Number(volume.dataBytes) * stores.length);
    const bad = new Map<string, Set<number>>();
    for (const chunks of stores) {
      const whole = await verifyIn(ctx, chunks, `image template "${template.name}" (${template.globalIdentifier})`, volumes, bad, stores.length > 1);
      await chunks.markWhole(whole);
    }
    if (bad.size > 0) {
      const list = [...bad].map(([hash, indexes]) => `${shortHash(hash)} (volume ${[...indexes].join(", ")})`);
      throw new IntegrityError(
        `image template "${template.name}" is DAMAGED: ${bad.size} chunk(s) missing or damaged: ${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""}; capture the source again to repair them`,
        [...bad.keys()],
      );
    }
  },

  // Reading changes nothing; what it learnt about chunks is recorded as it goes.
  async rollback() {},
};

/** Reads every chunk of the volumes from one store; the bad ones go into `bad`, the whole ones are returned. */
async function verifyIn(
  { signal, progress }: RunContext<unknown, object>,
  chunks: Chunks,
  name: string,
  volumes: VolumeChunks[],
  bad: Map<string, Set<number>>,
  nameTheStore: boolean,
): Promise<string[]> {
  const whole = new Set<string>();
  for (const [i, volume] of volumes.entries()) {
    await progress.step(`verifying volume ${i + 1} of ${volumes.length}${nameTheStore ? ` in the ${chunks.store.name}` : ""}`);
    const what = `${name}, volume ${volume.index}`;
    const window = new TaskWindow(CHUNKS_AT_ONCE);
    try {
      for (const [, hash] of volume.entries) {
        signal.throwIfAborted();
        await window.add(async () => {
          try {
            const raw = await chunks.read(hash, what);
            progress.advance(raw.length);
            whole.add(hash);
          } catch (error) {
            if (!(error instanceof IntegrityError)) throw error;
            bad.set(hash, (bad.get(hash) ?? new Set()).add(volume.index));
          }
        });
      }
    } finally {
      await window.drain();
    }
  }
  return [...whole];
}
