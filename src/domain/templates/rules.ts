// The rules of image templates, each written once and named.
import type { Prisma } from "../../db/prisma.ts";
import {
  ConflictError,
  IncompatibleServerError,
  NotFoundError,
  ObsoleteTemplateError,
  transitionTemplates,
  type Catalog,
  type DomainError,
  type ImageTemplateKind,
  type ServerKind,
  type TemplateStatus,
  type Tx,
} from "../kernel/index.ts";

/**
 * Whether a template of `kind` may be captured from `server`: a STANDARD one never from bare
 * metal, a FLEX one only from a Flex-capable operating system. The refusal says what would do.
 */
export function refuseCapture(kind: ImageTemplateKind, server: { kind: ServerKind; os: string; fqdn: string }, catalog: Catalog): IncompatibleServerError | null {
  const flex = catalog.flexCapableOperatingSystems();
  const osIsFlex = flex.includes(server.os);
  if (kind === "STANDARD" && server.kind === "BARE_METAL") {
    return osIsFlex
      ? new IncompatibleServerError(`standard image templates cannot be captured from bare metal server ${server.fqdn}; capture it as a FLEX image`, server.kind, { templateKind: "FLEX" })
      : new IncompatibleServerError(
          `standard image templates cannot be captured from bare metal server ${server.fqdn}, and FLEX images only of ${flex.join(", ")} (it runs ${server.os})`,
          server.kind,
          { operatingSystems: flex },
        );
  }
  if (kind === "FLEX" && !osIsFlex) {
    const standardWould = server.kind === "VIRTUAL";
    return new IncompatibleServerError(
      `FLEX images cannot be captured from server ${server.fqdn}: ${server.os} is not Flex-capable (${flex.join(", ")} are)${standardWould ? "; a STANDARD template can be" : ""}`,
      server.kind,
      { templateKind: standardWould ? "STANDARD" : null, operatingSystems: flex },
    );
  }
  return null;
}

/**
 * Whether `template` may go onto a server of `serverKind` (a deploy, a reload): a STANDARD one
 * never onto bare metal. `action` says what was asked, e.g. `be deployed to bare metal`.
 */
export function refuseTarget(template: { name: string; kind: ImageTemplateKind }, serverKind: ServerKind, action: string): IncompatibleServerError | null {
  if (template.kind === "STANDARD" && serverKind === "BARE_METAL") {
    return new IncompatibleServerError(`image template "${template.name}" is STANDARD and cannot ${action}; bare metal takes FLEX images`, serverKind, { templateKind: "FLEX" });
  }
  return null;
}

/** A volume restored from a template may be larger than the captured one, never smaller. */
export function volumeTooSmall(capacityGb: number, captured: { index: number; capacityGb: number }): string | null {
  return capacityGb < captured.capacityGb ? `volume ${captured.index} must be at least the template's ${captured.capacityGb} GiB, not ${capacityGb} GiB` : null;
}

/** Who may read and deploy a template: its owner, and the accounts it is shared with (sharing.ts). */
export const ownedOrSharedWith = (accountId: string): Prisma.ImageTemplateWhereInput => ({ OR: [{ accountId }, { shares: { some: { accountId } } }] });

/** The statuses a template deploys in (a DEPRECATED one with a warning naming its replacement). */
export const DEPLOYABLE: readonly TemplateStatus[] = ["ACTIVE", "DEPRECATED"];

/**
 * Brings the status of the templates `where` selects in line with their retirement times, as of
 * `now`: from obsoleteAt OBSOLETE, else from deprecateAt DEPRECATED, else ACTIVE. Only templates
 * in one of those three statuses move (a DAMAGED or CAPTURING one waits). Conditional UPDATEs,
 * so several instances settling at once change each template once; run them in order.
 */
export function settleRetirement(db: Tx, now: Date, where: Prisma.ImageTemplateWhereInput = {}) {
  const notYet = (field: "deprecateAt" | "obsoleteAt") => ({ OR: [{ [field]: null }, { [field]: { gt: now } }] });
  return [
    transitionTemplates(db, { ...where, obsoleteAt: { lte: now } }, "OBSOLETE", {}, ["ACTIVE", "DEPRECATED"]),
    transitionTemplates(db, { ...where, deprecateAt: { lte: now }, AND: [notYet("obsoleteAt")] }, "DEPRECATED", {}, ["ACTIVE", "OBSOLETE"]),
    transitionTemplates(db, { ...where, AND: [notYet("deprecateAt"), notYet("obsoleteAt")] }, "ACTIVE", {}, ["DEPRECATED", "OBSOLETE"]),
  ];
}

/**
 * Holds a template for a deploy, reload, verify or export: counted in activeDeployCount
 * (deletion is refused until the operation ends) when its status, settled as of `now`, is one of
 * `statuses` (default: deployable), and, with `by`, while that account owns it or has it shared,
 * decided atomically in the transaction that queues the operation. An OBSOLETE template is an
 * ObsoleteTemplateError naming its replacement.
 */
export async function holdTemplate(
  tx: Tx,
  template: { id: string; name: string },
  { now, statuses = DEPLOYABLE, by }: { now: Date; statuses?: readonly TemplateStatus[]; by?: string },
): Promise<DomainError | null> {
  for (const settle of settleRetirement(tx, now, { id: template.id })) await settle;
  const held = await tx.imageTemplate.updateMany({
    where: { id: template.id, status: { in: [...statuses] }, ...(by ? ownedOrSharedWith(by) : {}) },
    data: { activeDeployCount: { increment: 1 } },
  });
  if (held.count === 1) return null;
  const current = await tx.imageTemplate.findUnique({ where: { id: template.id }, select: { status: true, accountId: true, replacement: { select: { id: true, name: true } } } });
  if (by && current && current.accountId !== by && !(await tx.templateShare.findUnique({ where: { templateId_accountId: { templateId: template.id, accountId: by } } }))) {
    return new NotFoundError("ImageTemplate", template.id, "imageTemplateId");
  }
  if (current?.status === "OBSOLETE") return new ObsoleteTemplateError(template, current.replacement);
  return new ConflictError(`image template "${template.name}" is ${current?.status ?? "deleted"}; it needs to be ${statuses.join(" or ")}`, current?.status ?? "DELETED");
}
