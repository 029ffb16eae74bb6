// REPLICATE_TEMPLATE: make a template available in more datacenters. One local image store
// serves every datacenter here, so this records availability; with a store per region it
// is where chunks would be copied.
import type { Pipeline } from "../operations/index.ts";

export const replicateTemplatePipeline: Pipeline<{ datacenters: string[] }, object> = {
  kind: "REPLICATE_TEMPLATE",
  cancellableWhileRunning: true,
  async run({ operation, input, deps, progress, lease }) {
    await progress.step("making the template available");
    const templateId = operation.imageTemplateId!;
    const existing = await deps.db.imageTemplateDatacenter.findMany({ where: { templateId } });
    const missing = input.datacenters.filter((code) => !existing.some((row) => row.datacenter === code));
    if (missing.length > 0) {
      await lease.fenced([deps.db.imageTemplateDatacenter.createMany({ data: missing.map((datacenter) => ({ templateId, datacenter })) })]);
    }
  },
  // Nothing half-made: the rows are written in the pipeline's last statement or not at all.
  async rollback() {},
};
