// Rows for the read-path and scale benchmarks, inserted straight into the database (tens
// of thousands of servers would take hours to provision), through Prisma's createMany so the
// same seed fills SQLite and PostgreSQL. Shapes follow prisma/models.prisma.
import { randomUUID } from "node:crypto";
import type { Db } from "../src/db/client.ts";
import { systemClock, timeOrderedIds } from "../src/domain/kernel/index.ts";

const ids = timeOrderedIds(systemClock);
const newId = (prefix: string) => ids.next(prefix);
const BATCH = 1000;

async function inBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

export async function seedServers(db: Db, accountId: string, count: number, templates: number): Promise<{ serverIds: string[] }> {
  const now = new Date();
  const templateRows = Array.from({ length: templates }, (_, i) => ({
    id: newId("img") + i.toString(36),
    accountId,
    globalIdentifier: randomUUID(),
    name: `seed-template-${i}`,
    status: "ACTIVE" as const,
    createdAt: now,
    updatedAt: now,
  }));
  const datacenters = ["dal10", "wdc07", "fra02", "tok05"];
  const serverRows = Array.from({ length: count }, (_, i) => {
    const ordinal = Math.floor(i / datacenters.length) + 1000;
    const o = [(ordinal >> 8) & 255, ordinal & 255];
    return {
      id: newId("srv") + i.toString(36).padStart(4, "0"),
      accountId,
      kind: "VIRTUAL" as const,
      hostname: `seed${i}`,
      domain: "seed.example.com",
      fqdn: `seed${i}.seed.example.com`,
      datacenter: datacenters[i % 4],
      cpu: 2,
      memoryMb: 4096,
      os: "UBUNTU_24_04_64",
      powerState: "RUNNING" as const,
      status: "ACTIVE" as const,
      networkOrdinal: ordinal,
      privateIpv4: `10.99.${o[0]}.${o[1]}`,
      publicIpv4: `100.99.${o[0]}.${o[1]}`,
      macAddress: `06:99:00:00:${o[0].toString(16)}:${o[1].toString(16)}`,
      sourceImageTemplateId: templateRows.length ? templateRows[i % templateRows.length].id : null,
      createdAt: now,
      updatedAt: now,
    };
  });
  await inBatches(templateRows, (batch) => db.imageTemplate.createMany({ data: batch }));
  await inBatches(templateRows, (batch) => db.imageTemplateDatacenter.createMany({ data: batch.map(({ id }) => ({ templateId: id, datacenter: "dal10" })) }));
  await inBatches(serverRows, (batch) => db.server.createMany({ data: batch }));
  await inBatches(serverRows, (batch) =>
    db.volume.createMany({
      data: batch.flatMap(({ id }, i) => [
        { id: newId("vol") + i.toString(36) + "b", serverId: id, index: 0, role: "BOOT" as const, capacityGb: 25, createdAt: now },
        { id: newId("vol") + i.toString(36) + "d", serverId: id, index: 1, role: "DATA" as const, capacityGb: 100, createdAt: now },
      ]),
    }),
  );
  await inBatches(serverRows, (batch) =>
    db.operation.createMany({
      data: batch.map(({ id }, i) => ({ id: newId("op") + i.toString(36), accountId, kind: "PROVISION" as const, status: "SUCCEEDED" as const, step: "powering on", progress: 1, serverId: id, createdAt: now, updatedAt: now })),
    }),
  );
  return { serverIds: serverRows.map(({ id }) => id) };
}
