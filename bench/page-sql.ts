// The SQL of a page of servers, read straight with better-sqlite3: what the floor and the
// plain graphql-yoga baseline of the read-path benchmark both run (the same statements
// imprint needs for PAGE_QUERY: the token, the page, its volumes, templates and latest operations).
import Database from "better-sqlite3";
import { hashToken } from "../src/domain/accounts/index.ts";
import { sqliteFilePath } from "../src/db/client.ts";

export interface ServerRow { id: string; hostname: string; fqdn: string; status: string; powerState: string; datacenter: string; sourceImageTemplateId: string | null }
export interface VolumeRow { serverId: string; index: number; role: string; capacityGb: number }
export interface TemplateRow { id: string; name: string }
export interface OperationRow { serverId: string; kind: string; status: string }

const marks = (values: readonly unknown[]) => values.map(() => "?").join(",");

export class PageSql {
  private readonly db: Database.Database;
  private readonly tokenStmt: Database.Statement;
  private readonly serversStmt: Database.Statement;

  constructor(databaseUrl: string) {
    this.db = new Database(sqliteFilePath(databaseUrl), { readonly: true });
    this.tokenStmt = this.db.prepare(`SELECT accountId FROM ApiToken WHERE tokenHash = ?`);
    this.serversStmt = this.db.prepare(
      `SELECT id, hostname, fqdn, status, powerState, datacenter, sourceImageTemplateId FROM Server WHERE accountId = ? ORDER BY id LIMIT ?`,
    );
  }

  accountOf(authorization: string | null | undefined): string | null {
    const row = this.tokenStmt.get(hashToken(String(authorization).slice(7))) as { accountId: string } | undefined;
    return row?.accountId ?? null;
  }

  servers(accountId: string, first: number): ServerRow[] {
    return this.serversStmt.all(accountId, first) as ServerRow[];
  }

  volumes(serverIds: readonly string[]): VolumeRow[] {
    return this.db.prepare(`SELECT serverId, "index", role, capacityGb FROM Volume WHERE serverId IN (${marks(serverIds)}) ORDER BY serverId, "index"`).all(...serverIds) as VolumeRow[];
  }

  templates(ids: readonly string[]): TemplateRow[] {
    return ids.length ? (this.db.prepare(`SELECT id, name FROM ImageTemplate WHERE id IN (${marks(ids)})`).all(...ids) as TemplateRow[]) : [];
  }

  latestOperations(serverIds: readonly string[]): OperationRow[] {
    return this.db
      .prepare(`SELECT serverId, kind, status FROM Operation WHERE id IN (SELECT MAX(id) FROM Operation WHERE serverId IN (${marks(serverIds)}) GROUP BY serverId)`)
      .all(...serverIds) as OperationRow[];
  }

  close(): void {
    this.db.close();
  }
}

export const serverGlobalId = (id: string) => Buffer.from(`Server:${id}`).toString("base64");
