// Sharing a template with other accounts: a receiver may read it (node, sharedImageTemplates)
// and deploy or reload from it, and nothing more. It never changes, shares, copies, verifies
// or deletes it (those look the template up among the viewer's own, so for a receiver it is not
// found), and never sees the owner's servers, operations or other templates (each is looked up
// in the viewer's account). Unsharing stops new deploys at once: the queueing transaction holds
// the template only while the share is there. Servers already deployed keep working.
import type { DomainDeps, Viewer } from "../deps.ts";
import { ConflictError, FieldProblems, NotFoundError, transaction } from "../kernel/index.ts";
import { RETIRABLE } from "./retirement.ts";
import type { TemplateRow, Templates } from "./templates.ts";

export class Sharing {
  private readonly deps: DomainDeps;
  private readonly templates: Templates;
  constructor(deps: DomainDeps, templates: Templates) {
    this.deps = deps;
    this.templates = templates;
  }

  /** Shares the viewer's template with `accountId`; sharing it again changes nothing. */
  async share(viewer: Viewer, input: { id: string; accountId: string }): Promise<TemplateRow> {
    const template = await this.templates.getOrThrow(viewer, input.id, "id");
    const problems = new FieldProblems();
    if (input.accountId === viewer.accountId) problems.add("accountId", "is this account: a template is always its owner's");
    problems.throwIfAny();
    if (!(await this.deps.db.account.findUnique({ where: { id: input.accountId }, select: { id: true } }))) throw new NotFoundError("Account", input.accountId, "accountId");
    await transaction(this.deps.db, async (tx) => {
      const current = await tx.imageTemplate.findUniqueOrThrow({ where: { id: template.id }, select: { status: true } });
      if (!RETIRABLE.includes(current.status)) {
        return new ConflictError(`image template "${template.name}" is ${current.status}; only ${RETIRABLE.join(", ")} templates can be shared`, current.status);
      }
      await tx.templateShare.upsert({
        where: { templateId_accountId: { templateId: template.id, accountId: input.accountId } },
        create: { templateId: template.id, accountId: input.accountId, createdAt: this.deps.clock.now() },
        update: {},
      });
      return null;
    });
    return template;
  }

  /** Stops sharing the viewer's template with `accountId`; its servers keep working. */
  async unshare(viewer: Viewer, input: { id: string; accountId: string }): Promise<TemplateRow> {
    const template = await this.templates.getOrThrow(viewer, input.id, "id");
    await this.deps.db.templateShare.deleteMany({ where: { templateId: template.id, accountId: input.accountId } });
    return template;
  }

  /** The accounts each of the viewer's templates is shared with; none for a template it only receives. */
  async sharedWith(viewer: Viewer, templateIds: readonly string[]): Promise<string[][]> {
    const rows = await this.deps.db.templateShare.findMany({
      where: { templateId: { in: [...templateIds] }, template: { accountId: viewer.accountId } },
      orderBy: [{ templateId: "asc" }, { accountId: "asc" }],
    });
    return templateIds.map((id) => rows.filter((row) => row.templateId === id).map((row) => row.accountId));
  }
}
