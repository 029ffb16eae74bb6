// The rules of image templates, each written once and named.
import { ConflictError, IncompatibleServerError, type Catalog, type ImageTemplateKind, type ServerKind, type TemplateStatus, type Tx } from "../kernel/index.ts";

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

/**
 * Holds a template for a deploy, reload or verify: counted in activeDeployCount (deletion is
 * refused until the operation ends) when its status is one of `statuses` (deployable: ACTIVE),
 * decided atomically in the transaction that queues the operation.
 */
export async function holdTemplate(tx: Tx, template: { id: string; name: string }, statuses: TemplateStatus[] = ["ACTIVE"]): Promise<ConflictError | null> {
  const held = await tx.imageTemplate.updateMany({
    where: { id: template.id, status: { in: statuses } },
    data: { activeDeployCount: { increment: 1 } },
  });
  if (held.count === 1) return null;
  const current = await tx.imageTemplate.findUnique({ where: { id: template.id }, select: { status: true } });
  return new ConflictError(`image template "${template.name}" is ${current?.status ?? "deleted"}; it needs to be ${statuses.join(" or ")}`, current?.status ?? "DELETED");
}
