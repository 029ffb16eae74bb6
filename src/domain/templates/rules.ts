// The rules of standard image templates, each written once and named.
import { ConflictError, IncompatibleServerError, type ServerKind, type TemplateStatus, type Tx } from "../kernel/index.ts";

/**
 * Standard image templates never come from or go to bare metal (Flex images would).
 * `action` says what was asked, e.g. `be captured from bare metal server web01.example.com`.
 */
export function refuseBareMetal(kind: string, action: string): IncompatibleServerError | null {
  return kind === ("BARE_METAL" satisfies ServerKind) ? new IncompatibleServerError(`standard image templates cannot ${action}`, kind) : null;
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
