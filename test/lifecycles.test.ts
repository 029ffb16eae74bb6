// The state machine of each aggregate, on real rows: every allowed transition happens, every
// other one is refused and changes nothing.
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, createDb, type Db } from "../src/db/client.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import {
  OPERATION_LIFECYCLE,
  requireServerTransition,
  SERVER_LIFECYCLE,
  TEMPLATE_LIFECYCLE,
  transitionOperation,
  transitionServer,
  transitionTemplates,
} from "../src/domain/kernel/index.ts";
import { ConflictError } from "../src/domain/kernel/errors.ts";
import type { OperationStatus, ServerStatus, TemplateStatus } from "../src/domain/kernel/index.ts";
import { tempDataDir } from "./helpers/app.ts";

let dir: string;
let db: Db;
let n = 0;

beforeAll(async () => {
  dir = tempDataDir();
  const url = `file:${path.join(dir, "imprint.db")}`;
  await applyMigrations(url);
  db = await createDb(url);
  await db.account.create({ data: { id: "acct", name: "lifecycles" } });
});
afterAll(async () => {
  await closeDb(db);
  rmSync(dir, { recursive: true, force: true });
});

function server(status: string) {
  n++;
  return db.server.create({
    data: { id: `srv_${n}`, accountId: "acct", kind: "VIRTUAL", hostname: `h${n}`, domain: "example.com", fqdn: `h${n}.example.com`, datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "DEBIAN_12_64", powerState: "HALTED", status: status as ServerStatus },
  });
}
function template(status: string) {
  n++;
  return db.imageTemplate.create({ data: { id: `img_${n}`, accountId: "acct", globalIdentifier: `g${n}`, name: `t${n}`, status: status as TemplateStatus } });
}
function operation(status: string) {
  n++;
  return db.operation.create({ data: { id: `op_${n}`, accountId: "acct", kind: "POWER_ON", status: status as OperationStatus } });
}

const cases = [
  { name: "Server", machine: SERVER_LIFECYCLE, make: server, move: (id: string, to: any) => transitionServer(db, { id }, to), read: (id: string) => db.server.findUniqueOrThrow({ where: { id } }) },
  { name: "ImageTemplate", machine: TEMPLATE_LIFECYCLE, make: template, move: (id: string, to: any) => transitionTemplates(db, { id }, to), read: (id: string) => db.imageTemplate.findUniqueOrThrow({ where: { id } }) },
  { name: "Operation", machine: OPERATION_LIFECYCLE, make: operation, move: (id: string, to: any) => transitionOperation(db, { id }, to), read: (id: string) => db.operation.findUniqueOrThrow({ where: { id } }) },
] as const;

for (const { name, machine, make, move, read } of cases) {
  describe(`${name} lifecycle`, () => {
    for (const from of machine.states) {
      for (const to of machine.states) {
        const allowed = (machine.transitions as Record<string, readonly string[]>)[from].includes(to);
        it(`${from} → ${to}: ${allowed ? "allowed" : "refused"}`, async () => {
          const row = await make(from);
          const { count } = await move(row.id, to);
          expect(count).toBe(allowed ? 1 : 0);
          expect((await read(row.id)).status).toBe(allowed ? to : from);
        });
      }
    }
  });
}

describe("a transition that must happen", () => {
  it("is refused with a ConflictError naming the current status, and changes nothing", async () => {
    const row = await server("CAPTURING");
    const refusal = await requireServerTransition(db, row.id, "DELETING").catch((error) => error);
    expect(refusal).toBeInstanceOf(ConflictError);
    expect(refusal).toMatchObject({ state: "CAPTURING", message: `server ${row.fqdn} is CAPTURING; it cannot become DELETING` });
    expect((await db.server.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("CAPTURING");
    await requireServerTransition(db, row.id, "ACTIVE", { powerState: "RUNNING" });
    expect(await db.server.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
  });
});
