// The audit trail: every mutation, allowed or refused, with its account, token, target and
// outcome; readable by the account's ADMIN, newest first.
import type { DomainDeps, Viewer } from "../deps.ts";
import { keyset, toPage, type Page, type PageArgs } from "../kernel/index.ts";

export type AuditEventRow = Awaited<ReturnType<DomainDeps["db"]["auditEvent"]["findFirstOrThrow"]>>;

export interface AuditEntry {
  action: string;
  target: string | null;
  /** OK, or the error code the mutation ended with. */
  outcome: string;
}

export class AuditTrail {
  private readonly deps: Pick<DomainDeps, "db" | "ids" | "clock" | "log" | "config">;
  constructor(deps: Pick<DomainDeps, "db" | "ids" | "clock" | "log" | "config">) {
    this.deps = deps;
  }

  /** Never fails the request it records: a write that fails is logged. */
  async record(viewer: Viewer, entry: AuditEntry): Promise<void> {
    try {
      await this.deps.db.auditEvent.create({
        data: { id: this.deps.ids.next("aud"), accountId: viewer.accountId, tokenId: viewer.tokenId, createdAt: this.deps.clock.now(), ...entry },
      });
    } catch (error) {
      this.deps.log.error("audit event not recorded", { ...entry, accountId: viewer.accountId, error: String(error) });
    }
  }

  async list(viewer: Viewer, args: PageArgs): Promise<Page<AuditEventRow>> {
    const page = keyset(args, this.deps.config.maxPageSize, "desc");
    const where = { accountId: viewer.accountId };
    const rows = await this.deps.db.auditEvent.findMany({ where: { ...where, ...(page.idAfter ? { id: page.idAfter } : {}) }, orderBy: page.orderBy, take: page.take });
    return toPage(rows, page.size, () => this.deps.db.auditEvent.count({ where }));
  }
}
