// VERIFY_TEMPLATE: read back every chunk of a template and check it against its name. A
// missing or damaged chunk is recorded on the chunk (its templates become DAMAGED) and the
// operation fails with INTEGRITY naming the chunks and volumes; a template whose chunks all
// read whole again is ACTIVE again.
import { IntegrityError, TaskWindow } from "../kernel/index.ts";
import { CHUNKS_AT_ONCE, shortHash } from "./chunks.ts";
import type { Pipeline } from "../operations/index.ts";

export const verifyTemplatePipeline: Pipeline<unknown, object> = {
  kind: "VERIFY_TEMPLATE",
  cancellableWhileRunning: true,
  holdsTemplate: true,

  async run({ operation, deps, signal, progress }) {
    const template = await deps.db.imageTemplate.findUniqueOrThrow({
      where: { id: operation.imageTemplateId! },
      include: { volumes: { orderBy: { index: "asc" } } },
    });
    const volumes = template.volumes.map((volume) => ({ index: volume.index, entries: JSON.parse(volume.chunks) as Array<[number, string]> }));
    for (const volume of volumes) progress.addTotal(Number(template.volumes.find((v) => v.index === volume.index)!.dataBytes));
    const bad = new Map<string, Set<number>>();
    const checked = new Set<string>();
    for (const [i, volume] of volumes.entries()) {
      await progress.step(`verifying volume ${i + 1} of ${volumes.length}`);
      const what = `image template "${template.name}" (${template.globalIdentifier}), volume ${volume.index}`;
      const window = new TaskWindow(CHUNKS_AT_ONCE);
      try {
        for (const [, hash] of volume.entries) {
          signal.throwIfAborted();
          await window.add(async () => {
            try {
              const raw = await deps.chunks.read(hash, what);
              progress.advance(raw.length);
              checked.add(hash);
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
    if (bad.size > 0) {
      const list = [...bad].map(([hash, indexes]) => `${shortHash(hash)} (volume ${[...indexes].join(", ")})`);
      throw new IntegrityError(
        `image template "${template.name}" is DAMAGED: ${bad.size} chunk(s) missing or damaged: ${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""}; capture the source again to repair them`,
        [...bad.keys()],
      );
    }
    await progress.step("recording the result");
    await deps.chunks.markWhole([...checked]);
  },

  // Reading changes nothing; what it learnt about chunks is recorded as it goes.
  async rollback() {},
};
