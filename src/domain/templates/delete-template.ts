// DELETE_TEMPLATE: drop the template's chunk references, remove the chunks no other
// template uses, the manifest and the record. There is no going back halfway, so the
// cleanup path finishes the deletion.
import type { DomainDeps } from "../deps.ts";
import { transitionTemplates, type TemplateStatus } from "../kernel/index.ts";
import type { Pipeline } from "../operations/index.ts";

async function deleteTemplate(deps: DomainDeps, templateId: string | null): Promise<void> {
  const template = templateId ? await deps.db.imageTemplate.findUnique({ where: { id: templateId } }) : null;
  if (!template) return;
  // From every store: each keeps what its other templates need.
  for (const chunks of deps.stores.all()) {
    await chunks.release(template.id);
    await chunks.store.deleteManifest(template.globalIdentifier);
  }
  // Servers deployed from it keep working; their link becomes null.
  await deps.db.imageTemplate.delete({ where: { id: template.id } });
}

export const deleteTemplatePipeline: Pipeline<{ statusBefore?: string }, object> = {
  kind: "DELETE_TEMPLATE",
  cancellableWhileRunning: false,
  async run({ operation, deps, progress }) {
    await progress.step("removing unreferenced chunks");
    await deleteTemplate(deps, operation.imageTemplateId);
  },
  async rollback({ operation, input, deps, reason }) {
    // Only a QUEUED deletion can be cancelled: nothing was removed yet, the template is back.
    if (reason === "cancelled") {
      await transitionTemplates(deps.db, { id: operation.imageTemplateId ?? "" }, (input.statusBefore ?? "ACTIVE") as TemplateStatus, {}, ["DELETING"]);
      return;
    }
    await deleteTemplate(deps, operation.imageTemplateId);
    return "completed";
  },
};
