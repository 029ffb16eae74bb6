// The SQL of a page of servers on PostgreSQL, read straight with a pg pool and named prepared
// statements: the floor of the read path on PostgreSQL (page-sql.ts is SQLite's). The same
// statements as PageSql, with PostgreSQL's quoted identifiers.
import pg from "pg";
import { hashToken } from "../src/domain/accounts/index.ts";
import type { OperationRow, ServerRow, TemplateRow, VolumeRow } from "./page-sql.ts";

const marks = (values: readonly unknown[], from = 1) => values.map((_, i) => `$${i + from}`).join(",");

export class PostgresqlPageSql {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  }

  private async rows<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query({ name, text, values })).rows as T[];
  }

  async accountOf(authorization: string | null | undefined): Promise<string | null> {
    const rows = await this.rows<{ accountId: string }>("floor_token", `SELECT "accountId" FROM "ApiToken" WHERE "tokenHash" = $1`, [hashToken(String(authorization).slice(7))]);
    return rows[0]?.accountId ?? null;
  }

  servers(accountId: string, first: number): Promise<ServerRow[]> {
    return this.rows("floor_servers", `SELECT id, hostname, fqdn, status, "powerState", datacenter, "sourceImageTemplateId" FROM "Server" WHERE "accountId" = $1 ORDER BY id LIMIT $2`, [accountId, first]);
  }

  volumes(serverIds: readonly string[]): Promise<VolumeRow[]> {
    return this.rows(`floor_volumes_${serverIds.length}`, `SELECT "serverId", "index", role, "capacityGb" FROM "Volume" WHERE "serverId" IN (${marks(serverIds)}) ORDER BY "serverId", "index"`, [...serverIds]);
  }

  async templates(ids: readonly string[]): Promise<TemplateRow[]> {
    return ids.length ? this.rows(`floor_templates_${ids.length}`, `SELECT id, name FROM "ImageTemplate" WHERE id IN (${marks(ids)})`, [...ids]) : [];
  }

  latestOperations(serverIds: readonly string[]): Promise<OperationRow[]> {
    return this.rows(
      `floor_operations_${serverIds.length}`,
      `SELECT "serverId", kind, status FROM "Operation" WHERE id IN (SELECT MAX(id) FROM "Operation" WHERE "serverId" IN (${marks(serverIds)}) GROUP BY "serverId")`,
      [...serverIds],
    );
  }

  close(): void {
    void this.pool.end();
  }
}
