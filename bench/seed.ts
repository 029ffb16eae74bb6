// Rows for the read-path and scale benchmarks, inserted straight into the database (tens
// of thousands of servers would take hours to provision). Shapes follow prisma/schema.prisma.
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { sqliteFilePath } from "../src/db/client.ts";
import { systemClock, timeOrderedIds } from "../src/domain/kernel/index.ts";

const ids = timeOrderedIds(systemClock);
const newId = (prefix: string) => ids.next(prefix);

export function seedServers(databaseUrl: string, accountId: string, count: number, templates: number): { serverIds: string[] } {
  const db = new Database(sqliteFilePath(databaseUrl));
  const now = new Date().toISOString();
  const templateIds: string[] = [];
  const serverIds: string[] = [];
  const insertTemplate = db.prepare(
    `INSERT INTO ImageTemplate (id, accountId, globalIdentifier, name, status, configuration, sizeBytes, storedBytes, createdAt, updatedAt)
     VALUES (?, ?, ?, ?, 'ACTIVE', '{}', 0, 0, ?, ?)`,
  );
  const insertTemplateDc = db.prepare(`INSERT INTO ImageTemplateDatacenter (templateId, datacenter) VALUES (?, 'dal10')`);
  const insertServer = db.prepare(
    `INSERT INTO Server (id, accountId, kind, hostname, domain, fqdn, datacenter, cpu, memoryMb, os, powerState, status,
       networkOrdinal, privateIpv4, publicIpv4, macAddress, sourceImageTemplateId, createdAt, updatedAt)
     VALUES (?, ?, 'VIRTUAL', ?, 'seed.example.com', ?, ?, 2, 4096, 'UBUNTU_24_04_64', 'RUNNING', 'ACTIVE', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertVolume = db.prepare(`INSERT INTO Volume (id, serverId, "index", role, capacityGb, createdAt) VALUES (?, ?, ?, ?, ?, ?)`);
  const insertOperation = db.prepare(
    `INSERT INTO Operation (id, accountId, kind, status, step, progress, serverId, createdAt, updatedAt)
     VALUES (?, ?, 'PROVISION', 'SUCCEEDED', 'powering on', 1, ?, ?, ?)`,
  );
  const datacenters = ["dal10", "wdc07", "fra02", "tok05"];
  db.transaction(() => {
    for (let i = 0; i < templates; i++) {
      const id = newId("img") + i.toString(36);
      templateIds.push(id);
      insertTemplate.run(id, accountId, randomUUID(), `seed-template-${i}`, now, now);
      insertTemplateDc.run(id);
    }
    for (let i = 0; i < count; i++) {
      const id = newId("srv") + i.toString(36).padStart(4, "0");
      serverIds.push(id);
      const ordinal = Math.floor(i / datacenters.length) + 1000;
      const o = [(ordinal >> 8) & 255, ordinal & 255];
      insertServer.run(
        id, accountId, `seed${i}`, `seed${i}.seed.example.com`, datacenters[i % 4], ordinal,
        `10.99.${o[0]}.${o[1]}`, `100.99.${o[0]}.${o[1]}`, `06:99:00:00:${o[0].toString(16)}:${o[1].toString(16)}`,
        templateIds.length ? templateIds[i % templateIds.length] : null, now, now,
      );
      insertVolume.run(newId("vol") + i.toString(36), id, 0, "BOOT", 25, now);
      insertVolume.run(newId("vol") + i.toString(36), id, 1, "DATA", 100, now);
      insertOperation.run(newId("op") + i.toString(36), accountId, id, now, now);
    }
  })();
  db.close();
  return { serverIds };
}
