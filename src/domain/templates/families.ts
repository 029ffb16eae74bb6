// Families: templates grouped under a name and deployed by it (the family's newest ACTIVE
// template, as GCP's image families), each family with a retention policy: keep the newest
// `keep` templates; older ones are deprecated (naming the newest as replacement) or deleted,
// protected ones never. No image service has retention; its users script it (packer#3610,
// amazon-ami-management), so here it is one setting.
//
// A policy is applied after each capture into its family: every runner heartbeat looks for
// families whose newest usable template is newer than the one the policy was last applied
// after, applies it, and records that template. Its actions are conditional (a deprecation of
// an ACTIVE template, a deletion through DELETE_TEMPLATE), so two instances applying it at once
// do each one once; each lands in the audit trail under the token "retention".
import type { DomainDeps, Viewer } from "../deps.ts";
import type { AuditTrail } from "../accounts/audit.ts";
import { DomainError, FieldProblems, ValidationError, type RetentionAction, type TemplateStatus } from "../kernel/index.ts";
import type { Retirement } from "./retirement.ts";
import { RETIRABLE } from "./retirement.ts";
import type { TemplateRow, Templates } from "./templates.ts";

const FAMILY_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const KEEP = { min: 1, max: 1000 };

/** Whether `name` can name a family: lowercase letters, digits and hyphens, as GCP's. */
export function checkFamilyName(problems: FieldProblems, field: string, name: string): void {
  if (!FAMILY_NAME.test(name)) problems.add(field, "must be 1 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen");
}

export interface RetentionPolicy {
  keep: number;
  action: RetentionAction;
}

export interface Family {
  name: string;
  /** Newest first, every status but FAILED. */
  templates: TemplateRow[];
  /** The template a deploy by this family takes now, if any. */
  latest: TemplateRow | null;
  retention: RetentionPolicy | null;
}

/** The accountable caller of what a policy does: the audit trail names it "retention". */
const retentionViewer = (accountId: string): Viewer => ({ accountId, tokenId: "retention", role: "ADMIN", expiresAt: null });

export class Families {
  private readonly deps: DomainDeps;
  private readonly templates: Templates;
  private readonly retirement: Retirement;
  private readonly audit: AuditTrail;
  constructor(deps: DomainDeps, templates: Templates, retirement: Retirement, audit: AuditTrail) {
    this.deps = deps;
    this.templates = templates;
    this.retirement = retirement;
    this.audit = audit;
  }

  /**
   * The template a deploy or reload by `family` takes: its newest ACTIVE one, of those available
   * in `datacenter` when the request names where; else a ValidationError on `field`.
   */
  async latest(viewer: Viewer, family: string, field: string, datacenter?: string | null): Promise<TemplateRow> {
    const template = await this.newest(viewer.accountId, family, ["ACTIVE"], datacenter);
    if (!template) throw ValidationError.field(field, `the family "${family}" has no ACTIVE image template${datacenter ? ` available in ${datacenter}` : ""}`);
    return template;
  }

  async get(viewer: Viewer, name: string): Promise<Family | null> {
    const templates = await this.deps.db.imageTemplate.findMany({
      where: { accountId: viewer.accountId, family: name, status: { not: "FAILED" } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    const policy = await this.deps.db.templateFamily.findUnique({ where: { accountId_name: { accountId: viewer.accountId, name } } });
    if (templates.length === 0 && !policy) return null;
    return {
      name,
      templates,
      latest: templates.find((template) => template.status === "ACTIVE") ?? null,
      retention: policy ? { keep: policy.keep, action: policy.action } : null,
    };
  }

  /** Sets a family's policy (`keep` null: none), and applies it at once. */
  async setRetention(viewer: Viewer, input: { family: string; keep: number | null; action?: RetentionAction | null }): Promise<Family> {
    const problems = new FieldProblems();
    checkFamilyName(problems, "family", input.family);
    if (input.keep !== null && (!Number.isInteger(input.keep) || input.keep < KEEP.min || input.keep > KEEP.max)) problems.add("keep", `must be ${KEEP.min} to ${KEEP.max}`);
    problems.throwIfAny();
    const where = { accountId_name: { accountId: viewer.accountId, name: input.family } };
    if (input.keep === null) {
      await this.deps.db.templateFamily.deleteMany({ where: { accountId: viewer.accountId, name: input.family } });
    } else {
      const policy = { keep: input.keep, action: input.action ?? "DEPRECATE", appliedAfterId: null };
      await this.deps.db.templateFamily.upsert({ where, create: { accountId: viewer.accountId, name: input.family, ...policy }, update: policy });
      await this.applyDue({ accountId: viewer.accountId, name: input.family });
    }
    return (await this.get(viewer, input.family)) ?? { name: input.family, templates: [], latest: null, retention: null };
  }

  /** Applies each policy whose family has a newer template than it was last applied after (the runner's, at each heartbeat). */
  async applyDue(only?: { accountId: string; name: string }): Promise<void> {
    const policies = await this.deps.db.templateFamily.findMany({ where: only ?? {} });
    for (const policy of policies) {
      const newest = await this.newest(policy.accountId, policy.name, RETIRABLE);
      if (!newest || newest.id === policy.appliedAfterId) continue;
      await this.apply(policy, newest);
      await this.deps.db.templateFamily.updateMany({ where: { accountId: policy.accountId, name: policy.name, keep: policy.keep, action: policy.action }, data: { appliedAfterId: newest.id } });
    }
  }

  private async apply(policy: { accountId: string; name: string; keep: number; action: RetentionAction }, newest: TemplateRow): Promise<void> {
    const viewer = retentionViewer(policy.accountId);
    const usable = await this.deps.db.imageTemplate.findMany({
      where: { accountId: policy.accountId, family: policy.name, status: { in: [...RETIRABLE] } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    const replacement = usable.find((template) => template.status === "ACTIVE") ?? newest;
    for (const template of usable.slice(policy.keep)) {
      if (template.protected) continue;
      if (policy.action === "DEPRECATE" && template.status !== "ACTIVE") continue;
      const action = policy.action === "DEPRECATE" ? "retention:deprecateImageTemplate" : "retention:deleteImageTemplate";
      try {
        if (policy.action === "DEPRECATE") await this.retirement.deprecate(viewer, { id: template.id, replacementId: replacement.id });
        else await this.templates.delete(viewer, template.id);
        await this.audit.record(viewer, { action, target: template.id, outcome: "OK" });
      } catch (error) {
        // Another instance was first, or the template is in use: the next capture tries again.
        if (!(error instanceof DomainError)) throw error;
        await this.audit.record(viewer, { action, target: template.id, outcome: error.code });
      }
    }
  }

  private newest(accountId: string, family: string, statuses: readonly TemplateStatus[], datacenter?: string | null): Promise<TemplateRow | null> {
    return this.deps.db.imageTemplate.findFirst({
      where: { accountId, family, status: { in: [...statuses] }, ...(datacenter ? { datacenters: { some: { datacenter, status: "AVAILABLE" } } } : {}) },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
  }
}
