// Exporting templates: queueing EXPORT_TEMPLATE (export-template.ts) and finding the file an
// export made, for its account, until it expires.
import type { DomainDeps, Viewer } from "../deps.ts";
import type { OperationSnapshot, Operations } from "../operations/index.ts";
import { exportFile, type ExportRun } from "./export-template.ts";
import { RETIRABLE } from "./retirement.ts";
import { holdTemplate } from "./rules.ts";
import type { TemplateRow, Templates } from "./templates.ts";

export interface Download {
  path: string;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  expiresAt: Date;
}

export class Exports {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  private readonly templates: Templates;
  constructor(deps: DomainDeps, operations: Operations, templates: Templates) {
    this.deps = deps;
    this.operations = operations;
    this.templates = templates;
  }

  /** Queues the export of one of the viewer's templates (not one shared with it). */
  async export(viewer: Viewer, input: { id: string; format: ExportRun["format"] }): Promise<{ imageTemplate: TemplateRow; operation: OperationSnapshot }> {
    const template = await this.templates.getOrThrow(viewer, input.id, "id");
    const { operation } = await this.operations.queue(viewer, { kind: "EXPORT_TEMPLATE", quotas: ["concurrentOperations"] }, async (tx) => {
      // Held like a deployment: the template cannot be deleted while it is read.
      const notHeld = await holdTemplate(tx, template, { now: this.deps.clock.now(), statuses: RETIRABLE });
      return notHeld ?? { imageTemplateId: template.id, input: { format: input.format } satisfies ExportRun, made: undefined };
    });
    return { imageTemplate: await this.templates.getOrThrow(viewer, input.id, "id"), operation };
  }

  /** The file of the viewer's export `operationId`, or null (not its, not finished, or expired). */
  async downloadOf(viewer: Viewer, operationId: string): Promise<Download | null> {
    const row = await this.deps.db.templateExport.findFirst({ where: { operationId, accountId: viewer.accountId, expiresAt: { gt: this.deps.clock.now() } } });
    if (!row) return null;
    const operation = await this.deps.db.operation.findUnique({ where: { id: operationId }, select: { imageTemplate: { select: { name: true } } } });
    const name = (operation?.imageTemplate?.name ?? operationId).replace(/[^A-Za-z0-9._-]/g, "_");
    return { path: exportFile(this.deps, operationId), fileName: `${name}.bundle`, sizeBytes: Number(row.sizeBytes), sha256: row.sha256, expiresAt: row.expiresAt };
  }
}
