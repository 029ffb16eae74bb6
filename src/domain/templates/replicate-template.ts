// REPLICATE_TEMPLATE: the template's new locations (COPYING, made when it was queued) become
// AVAILABLE. Every datacenter shares one image store today, so there are no bytes to copy;
// with a store per datacenter this is where the chunks the target lacks are copied.
import { transitionLocations } from "../kernel/index.ts";
import type { Pipeline } from "../operations/index.ts";

export const replicateTemplatePipeline: Pipeline<{ datacenters: string[] }, object> = {
  kind: "REPLICATE_TEMPLATE",
  cancellableWhileRunning: true,
  async run({ operation, input, deps, progress, lease, signal }) {
    const templateId = operation.imageTemplateId!;
    for (const datacenter of input.datacenters) {
      signal.throwIfAborted();
      await progress.step(`making the template available in ${datacenter}`);
      await lease.fenced([transitionLocations(deps.db, { templateId, datacenter, operationId: operation.id }, "AVAILABLE", { operationId: null }, ["COPYING"])]);
    }
  },
  // A location this operation did not finish is FAILED: never AVAILABLE, and asked for again it is copied anew.
  async rollback({ operation, deps }) {
    await transitionLocations(deps.db, { templateId: operation.imageTemplateId ?? "", operationId: operation.id }, "FAILED", { operationId: null }, ["COPYING"]);
  },
};
