// Retiring templates, in the manner of GCP's deprecation states and AWS's DeprecateAt: from
// `deprecateAt` a template is DEPRECATED (it still deploys, and the deploy's payload warns,
// naming the replacement), from `obsoleteAt` OBSOLETE (deploys and reloads are refused with an
// ObsoleteTemplateError naming it). Both times may lie ahead: the status follows them through
// settleRetirement (rules.ts), which every instance's runner applies at each heartbeat and a
// deploy applies to its template in its queueing transaction, so nothing waits for the sweep
// and the times outlive a restart (they are columns).
import type { DomainDeps, Viewer } from "../deps.ts";
import { ConflictError, FieldProblems, NotFoundError, transaction, type TemplateStatus } from "../kernel/index.ts";
import { settleRetirement } from "./rules.ts";
import type { TemplateRow, Templates } from "./templates.ts";

/** The statuses of retired templates, which lists leave out unless asked. */
export const RETIRED: readonly TemplateStatus[] = ["DEPRECATED", "OBSOLETE"];

/** The statuses whose retirement times can be set: the usable ones. */
export const RETIRABLE: readonly TemplateStatus[] = ["ACTIVE", "DEPRECATED", "OBSOLETE"];

export interface DeprecateInput {
  id: string;
  /** From when it is DEPRECATED; default: now. */
  deprecateAt?: Date | null;
  /** From when it is OBSOLETE; default: never. Not before deprecateAt. */
  obsoleteAt?: Date | null;
  /** The template to use instead: the viewer's, not this one, and one that deploys. */
  replacementId?: string | null;
}

/** A deploy from a DEPRECATED template goes ahead, and says so. */
export interface DeployWarning {
  code: "TEMPLATE_DEPRECATED";
  message: string;
  replacementId: string | null;
}

/** Every template whose retirement time has come takes its status (the runner's, at each heartbeat). */
export async function settleDueRetirements({ db, clock }: Pick<DomainDeps, "db" | "clock">): Promise<void> {
  await db.$transaction(settleRetirement(db, clock.now()));
}

export class Retirement {
  private readonly deps: DomainDeps;
  private readonly templates: Templates;
  constructor(deps: DomainDeps, templates: Templates) {
    this.deps = deps;
    this.templates = templates;
  }

  /** Sets (or moves) a template's retirement times and replacement; its status follows at once. */
  async deprecate(viewer: Viewer, input: DeprecateInput): Promise<TemplateRow> {
    const template = await this.templates.getOrThrow(viewer, input.id, "id");
    const now = this.deps.clock.now();
    const deprecateAt = input.deprecateAt ?? now;
    const obsoleteAt = input.obsoleteAt ?? null;
    const problems = new FieldProblems();
    if (obsoleteAt && obsoleteAt < deprecateAt) problems.add("obsoleteAt", `must not be before deprecateAt (${deprecateAt.toISOString()})`);
    if (input.replacementId) {
      if (input.replacementId === template.id) problems.add("replacementId", "a template cannot replace itself");
      else {
        const replacement = await this.deps.db.imageTemplate.findFirst({ where: { id: input.replacementId, accountId: viewer.accountId }, select: { name: true, status: true } });
        if (!replacement) throw new NotFoundError("ImageTemplate", input.replacementId, "replacementId");
        if (replacement.status !== "ACTIVE" && replacement.status !== "DEPRECATED") {
          problems.add("replacementId", `image template "${replacement.name}" is ${replacement.status}; a replacement must deploy (ACTIVE or DEPRECATED)`);
        }
      }
    }
    problems.throwIfAny();
    return this.retime(template, { deprecateAt, obsoleteAt, replacementId: input.replacementId ?? null }, now);
  }

  /** Clears a template's retirement times and replacement: it is ACTIVE again. */
  async undeprecate(viewer: Viewer, id: string): Promise<TemplateRow> {
    const template = await this.templates.getOrThrow(viewer, id, "id");
    return this.retime(template, { deprecateAt: null, obsoleteAt: null, replacementId: null }, this.deps.clock.now());
  }

  /** The warning a deploy or reload from this template carries, if it is DEPRECATED. */
  async warningsFor(templateId: string): Promise<DeployWarning[]> {
    const template = await this.deps.db.imageTemplate.findUnique({ where: { id: templateId } });
    if (template?.status !== "DEPRECATED") return [];
    const replacement = await this.templates.replacementOf(template);
    const since = template.deprecateAt ? ` since ${template.deprecateAt.toISOString()}` : "";
    const obsolete = template.obsoleteAt ? `; it stops deploying at ${template.obsoleteAt.toISOString()}` : "";
    return [
      {
        code: "TEMPLATE_DEPRECATED",
        message: `image template "${template.name}" is deprecated${since}${obsolete}; ${replacement ? `use "${replacement.name}" instead` : "it names no replacement"}`,
        replacementId: replacement?.id ?? null,
      },
    ];
  }

  private async retime(template: TemplateRow, times: { deprecateAt: Date | null; obsoleteAt: Date | null; replacementId: string | null }, now: Date): Promise<TemplateRow> {
    await transaction(this.deps.db, async (tx) => {
      const { count } = await tx.imageTemplate.updateMany({ where: { id: template.id, status: { in: [...RETIRABLE] } }, data: times });
      if (count === 0) {
        const current = await tx.imageTemplate.findUnique({ where: { id: template.id }, select: { status: true } });
        const status = current?.status ?? "DELETED";
        return new ConflictError(`image template "${template.name}" is ${status}; only ${RETIRABLE.join(", ")} templates can be deprecated or undeprecated`, status);
      }
      for (const settle of settleRetirement(tx, now, { id: template.id })) await settle;
      return null;
    });
    return this.deps.db.imageTemplate.findUniqueOrThrow({ where: { id: template.id } });
  }
}
