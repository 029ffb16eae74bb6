// A template's locations: its copy in each datacenter, each with its own state
// (LOCATION_LIFECYCLE). Capture makes the source datacenter's; adding datacenters queues one
// REPLICATE_TEMPLATE operation for those that need a copy (COPYING until it ends, then
// AVAILABLE, or FAILED); only an AVAILABLE location is deployable. Asking again for a
// location that is AVAILABLE or COPYING answers with it. Removing the last location in a
// store of its own collects the template's chunks there that no other template needs.
import type { Viewer, DomainDeps } from "../deps.ts";
import { ConflictError, FieldProblems, transaction, transitionLocations, ValidationError, type Tx } from "../kernel/index.ts";
import type { OperationSnapshot, Operations } from "../operations/index.ts";
import { checkDatacenter } from "../servers/index.ts";
import type { Location, LocationRow, TemplateRow, Templates } from "./templates.ts";

export interface LocationsAdded {
  imageTemplate: TemplateRow;
  /** The copy queued for the datacenters that needed one; null when none did. */
  operation: OperationSnapshot | null;
  /** The locations asked for, as they are now. */
  locations: Location[];
}

/** Locations a copy makes anew or tries again. */
const NEEDS_COPY = (row: LocationRow | undefined) => !row || row.status === "FAILED";

export class Locations {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  private readonly templates: Templates;
  constructor(deps: DomainDeps, operations: Operations, templates: Templates) {
    this.deps = deps;
    this.operations = operations;
    this.templates = templates;
  }

  /** Makes the template deployable in more datacenters. */
  async add(viewer: Viewer, input: { id: string; datacenters: string[] }): Promise<LocationsAdded> {
    const template = await this.templates.deployable(viewer, input.id, "id");
    const datacenters = this.checkDatacenters(input.datacenters);
    const before = await this.rows(this.deps.db, template.id, datacenters);
    let operation: OperationSnapshot | null = null;
    if (datacenters.some((code) => NEEDS_COPY(before.get(code)))) {
      ({ operation } = await this.operations.queue(viewer, { kind: "REPLICATE_TEMPLATE", quotas: ["concurrentOperations"] }, async (tx, operationId) => {
        // Read again in the operation's transaction: a twin request may have made some meanwhile.
        const now = await this.rows(tx, template.id, datacenters);
        const copies = datacenters.filter((code) => NEEDS_COPY(now.get(code)));
        for (const datacenter of copies) {
          if (now.has(datacenter)) await transitionLocations(tx, { templateId: template.id, datacenter }, "COPYING", { operationId }, ["FAILED"]);
          else await tx.imageTemplateDatacenter.create({ data: { templateId: template.id, datacenter, status: "COPYING", operationId } });
        }
        return { imageTemplateId: template.id, input: { datacenters: copies }, made: undefined };
      }));
    }
    const after = await this.templates.locationsOf([template.id]);
    return { imageTemplate: template, operation, locations: datacenters.flatMap((code) => after.filter((row) => row.datacenter === code)) };
  }

  /**
   * Drops locations. Refused for one being copied (cancel its operation first) and for the
   * template's last AVAILABLE location (delete the template instead).
   */
  async remove(viewer: Viewer, input: { id: string; datacenters: string[] }): Promise<{ imageTemplate: TemplateRow; locations: Location[] }> {
    const template = await this.templates.getOrThrow(viewer, input.id, "id");
    const datacenters = this.checkDatacenters(input.datacenters);
    await transaction(this.deps.db, async (tx) => {
      const all = await tx.imageTemplateDatacenter.findMany({ where: { templateId: template.id } });
      const unknown = datacenters.map((code, i) => [code, i] as const).filter(([code]) => !all.some((row) => row.datacenter === code));
      if (unknown.length > 0) {
        return new ValidationError(unknown.map(([code, i]) => ({ field: `datacenters[${i}]`, message: `image template "${template.name}" has no location in ${code}` })));
      }
      const copying = all.find((row) => datacenters.includes(row.datacenter) && row.status === "COPYING");
      if (copying) {
        return new ConflictError(`the copy of "${template.name}" to ${copying.datacenter} is still running (operation ${copying.operationId}); cancel it first`, "COPYING");
      }
      if (!all.some((row) => row.status === "AVAILABLE" && !datacenters.includes(row.datacenter))) {
        return new ConflictError(`removing ${datacenters.join(", ")} would leave image template "${template.name}" with no location; delete the template instead`, "LAST_LOCATION");
      }
      await tx.imageTemplateDatacenter.deleteMany({ where: { templateId: template.id, datacenter: { in: datacenters } } });
      return null;
    });
    // A store no location of the template uses any more keeps none of its chunks.
    const left = await this.templates.locationsOf([template.id]);
    const stillUsed = this.deps.stores.serving(left.map(({ datacenter }) => datacenter));
    const dropped = this.deps.stores.serving(datacenters);
    for (const [key, chunks] of dropped) if (!stillUsed.has(key)) await chunks.forget(template.id, template.globalIdentifier);
    return { imageTemplate: template, locations: left };
  }

  /** The datacenter codes asked for, each once; a ValidationError names each unknown one. */
  private checkDatacenters(codes: string[]): string[] {
    const problems = new FieldProblems();
    if (codes.length === 0) problems.add("datacenters", "must name at least one datacenter");
    codes.forEach((code, i) => checkDatacenter(problems, `datacenters[${i}]`, code));
    problems.throwIfAny();
    return [...new Set(codes)];
  }

  private async rows(db: Tx | DomainDeps["db"], templateId: string, datacenters: string[]): Promise<Map<string, LocationRow>> {
    const rows = await db.imageTemplateDatacenter.findMany({ where: { templateId, datacenter: { in: datacenters } } });
    return new Map(rows.map((row) => [row.datacenter, row]));
  }
}
