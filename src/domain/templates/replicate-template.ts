// REPLICATE_TEMPLATE: the template's new locations (COPYING, made when it was queued) become
// AVAILABLE. A datacenter whose store already holds the template (it shares the store of an
// AVAILABLE location) needs only the row; into any other store the chunks it lacks are copied
// from an AVAILABLE location's store, chunk by chunk (chunks it has from other templates are
// not copied again), each checked against its name, then referenced there, then the manifest:
// only then is the location AVAILABLE. A copy that fails or is cancelled leaves the location
// FAILED and the target store as it was (what it referenced there is released).
import { TaskWindow, transitionLocations } from "../kernel/index.ts";
import type { Pipeline, RunContext } from "../operations/index.ts";
import { CHUNKS_AT_ONCE, type Chunks } from "./chunks.ts";
import { storesHolding } from "./chunk-stores.ts";

type ReplicateInput = { datacenters: string[] };

export const replicateTemplatePipeline: Pipeline<ReplicateInput, object> = {
  kind: "REPLICATE_TEMPLATE",
  cancellableWhileRunning: true,
  async run(ctx) {
    const { operation, input, deps, progress, lease, signal } = ctx;
    const templateId = operation.imageTemplateId!;
    const held = await storesHolding(deps, templateId);
    for (const datacenter of input.datacenters) {
      signal.throwIfAborted();
      const target = deps.stores.in(datacenter);
      if (!held.has(target.key)) {
        await progress.step(`copying to ${datacenter}`);
        await copyTemplate(ctx, held.values().next().value!, target);
        held.set(target.key, target);
      }
      await progress.step(`making the template available in ${datacenter}`);
      await lease.fenced([transitionLocations(deps.db, { templateId, datacenter, operationId: operation.id }, "AVAILABLE", { operationId: null }, ["COPYING"])]);
    }
  },

  async rollback({ operation, deps }) {
    const templateId = operation.imageTemplateId ?? "";
    const template = await deps.db.imageTemplate.findUnique({ where: { id: templateId } });
    const unfinished = await deps.db.imageTemplateDatacenter.findMany({ where: { templateId, operationId: operation.id, status: "COPYING" } });
    const held = await storesHolding(deps, templateId);
    // What this copy put into a store no AVAILABLE location uses is taken out again.
    const copiedInto = deps.stores.serving(unfinished.map(({ datacenter }) => datacenter));
    for (const [key, chunks] of copiedInto) if (template && !held.has(key)) await chunks.forget(template.id, template.globalIdentifier);
    await transitionLocations(deps.db, { templateId, operationId: operation.id }, "FAILED", { operationId: null }, ["COPYING"]);
  },
};

/** Copies what `target` lacks of the template from `source`, references it there, and writes the manifest last. */
async function copyTemplate({ operation, deps, progress, lease, signal }: RunContext<ReplicateInput, object>, source: Chunks, target: Chunks): Promise<void> {
  const template = await deps.db.imageTemplate.findUniqueOrThrow({ where: { id: operation.imageTemplateId! }, include: { volumes: true } });
  const hashes = [...new Set(template.volumes.flatMap((volume) => (JSON.parse(volume.chunks) as Array<[number, string]>).map(([, hash]) => hash)))];
  const sizes = new Map(
    (await deps.db.chunk.findMany({ where: { store: source.key, hash: { in: hashes } }, select: { hash: true, sizeBytes: true } })).map((row) => [row.hash, row.sizeBytes]),
  );
  progress.addTotal([...sizes.values()].reduce((sum, size) => sum + size, 0));
  const what = `image template "${template.name}" (${template.globalIdentifier})`;
  const manifest = await source.store.getManifest(template.globalIdentifier);
  if (manifest === null) throw new Error(`${what} has no manifest in the ${source.store.name}`);
  await target.lock.shared(async () => {
    const window = new TaskWindow(CHUNKS_AT_ONCE);
    try {
      for (const hash of hashes) {
        signal.throwIfAborted();
        await window.add(async () => {
          await source.copyTo(target, hash, what);
          progress.advance(sizes.get(hash) ?? 0);
        });
      }
    } finally {
      await window.drain();
    }
    // Referenced before the lock is released, so no sweep of the target takes them; not once
    // the operation was taken over (its new owner has released them).
    await lease.check();
    await target.reference(template.id, hashes);
  }, operation.id);
  await target.store.putManifest(template.globalIdentifier, manifest);
}
