// The volume digest (docs/manifest-format.md): a function of the bytes alone, whatever is a
// hole on disk; the migration that gives older templates theirs; and `npm run verify-volume`.
import { createHash, randomBytes } from "node:crypto";
import { dataExtents } from "@imprint/volume-io";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, migrationsDir } from "../src/db/migrate.ts";

const MIGRATIONS_DIR = migrationsDir("sqlite");
import { CHUNK_SIZE } from "../src/storage/chunk-codec.ts";
import { fileVolumeDigest, volumeDigest } from "../src/storage/volume-digest.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { exited, spawnScript } from "./helpers/child.ts";
import { captureTemplate, createActiveServer, TEMPLATE } from "./helpers/documents.ts";
import { volumePaths } from "./helpers/store.ts";

const MIB = 1024 * 1024;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "imprint-digest-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("volume digest", () => {
  it("is the same for a sparse file and the same bytes written out as zeros, and follows the documented format", async () => {
    const data = randomBytes(CHUNK_SIZE);
    const sparse = path.join(dir, "sparse.raw");
    const dense = path.join(dir, "dense.raw");
    const length = 64 * MIB + 1000; // a short last chunk
    let file = await open(sparse, "w");
    await file.truncate(length);
    await file.write(data, 0, CHUNK_SIZE, 5 * CHUNK_SIZE);
    await file.close();
    file = await open(dense, "w");
    for (let offset = 0; offset < length; offset += CHUNK_SIZE) {
      const size = Math.min(CHUNK_SIZE, length - offset);
      await file.write(offset === 5 * CHUNK_SIZE ? data : Buffer.alloc(size), 0, size, offset);
    }
    await file.close();

    // By hand, as docs/manifest-format.md says: header, then 32 bytes per chunk, zeros for a hole.
    const header = Buffer.alloc(24 + 1 + 8 + 4);
    header.write("imprint-volume-sha256-v1", 0, "ascii");
    header.writeBigUInt64BE(BigInt(length), 25);
    header.writeUInt32BE(CHUNK_SIZE, 33);
    const list = Array.from({ length: Math.ceil(length / CHUNK_SIZE) }, (_, i) => (i === 5 ? createHash("sha256").update(data).digest() : Buffer.alloc(32)));
    const expected = sha256(Buffer.concat([header, ...list]));

    expect(volumeDigest(length, [[5, sha256(data)]])).toBe(expected);
    expect(await fileVolumeDigest(sparse)).toBe(expected);
    expect(await fileVolumeDigest(dense)).toBe(expected);
  });

  it("changes with one byte anywhere, in data or in a hole, and with the length", async () => {
    const file = path.join(dir, "one-byte.raw");
    await writeFile(file, Buffer.alloc(0));
    const handle = await open(file, "r+");
    await handle.truncate(32 * MIB);
    await handle.close();
    const base = await fileVolumeDigest(file);
    const changed = path.join(dir, "one-byte-changed.raw");
    copyFileSync(file, changed);
    const h = await open(changed, "r+");
    await h.write(Buffer.from([1]), 0, 1, 20 * MIB + 7);
    await h.close();
    expect(await fileVolumeDigest(changed)).not.toBe(base);
    expect(volumeDigest(32 * MIB, [])).toBe(base);
    expect(volumeDigest(32 * MIB + CHUNK_SIZE, [])).not.toBe(base);
  });

  it("refuses a chunk list out of order or past the end", () => {
    expect(() => volumeDigest(8 * MIB, [[1, "00".repeat(32)], [0, "00".repeat(32)]])).toThrow(/out of order/);
    expect(() => volumeDigest(8 * MIB, [[2, "00".repeat(32)]])).toThrow(/past the volume's end/);
  });

  it("is given to templates captured before it, from their chunk list, by the migration", async () => {
    // A database as it was before the migration, holding a volume with a whole-file SHA-256.
    const before = path.join(dir, "migrations-before");
    mkdirSync(before);
    for (const name of readdirSync(MIGRATIONS_DIR).filter((n) => n < "20261125223000")) cpSync(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    const url = `file:${path.join(dir, "old.db")}`;
    await applyMigrations(url, before);
    const chunks: Array<[number, string]> = [[0, "ab".repeat(32)], [3, "cd".repeat(32)]];
    const sqlite = new Database(path.join(dir, "old.db"));
    sqlite.exec(`INSERT INTO Account (id, name, createdAt) VALUES ('acc_1', 'old', 0)`);
    sqlite.exec(`INSERT INTO ImageTemplate (id, accountId, globalIdentifier, name, status, type, configuration, createdAt, updatedAt) VALUES ('tpl_1', 'acc_1', 'g-1', 'old', 'ACTIVE', 'STANDARD', '{}', 0, 0)`);
    sqlite
      .prepare(`INSERT INTO TemplateVolume (id, templateId, "index", role, capacityGb, lengthBytes, dataBytes, storedBytes, sha256, chunks) VALUES ('tv_1', 'tpl_1', 0, 'BOOT', 1, ?, 0, 0, ?, ?)`)
      .run(1024 * MIB, "f".repeat(64), JSON.stringify(chunks));
    sqlite.close();

    expect(await applyMigrations(url)).toContain("20261125223000_volume_digest");
    const migrated = new Database(path.join(dir, "old.db"));
    const row = migrated.prepare(`SELECT digest FROM TemplateVolume WHERE id = 'tv_1'`).get() as { digest: string };
    migrated.close();
    expect(row.digest).toBe(volumeDigest(1024 * MIB, chunks));
  });
});

describe("npm run verify-volume", () => {
  let t: TestApp;
  let file: string;
  let digest: string;
  beforeAll(async () => {
    t = await startTestApp();
    const server = await createActiveServer(t.client, { hostname: "verify01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const template = await captureTemplate(t.client, server.id, "verify01-golden");
    digest = (await t.client.query(TEMPLATE, { id: template.id })).node.volumes[0].digest;
    file = (await volumePaths(t, server.id)).get(0)!;
  });
  afterAll(() => t.stop());

  const verify = (...args: string[]) => exited(spawnScript("scripts/verify-volume.ts", args, { IMPRINT_DATA_DIR: t.dataDir }));

  it("exits 0 for the captured volume's file", async () => {
    const { code, output } = await verify(file, digest);
    expect(output).toContain(`matches ${digest}`);
    expect(code).toBe(0);
  });

  it("exits 1 naming the first differing chunk, found through the store's manifest", async () => {
    const changed = path.join(dir, "boot-changed.raw");
    await sparseCopy(file, changed);
    const handle = await open(changed, "r+");
    await handle.write(Buffer.from("x"), 0, 1, 300 * MIB + 5); // chunk 75, a hole when captured
    await handle.write(Buffer.from("y"), 0, 1, 900 * MIB); // chunk 225, later
    await handle.close();
    const { code, output } = await verify(changed, digest);
    expect(output).toMatch(/DIFFERS/);
    expect(output).toMatch(/first differing chunk: 75 \(bytes 314572800\.\.318767103\), captured a hole \(zeros\), file has sha256 [0-9a-f]{12}/);
    expect(code).toBe(1);
  });

  it("refuses a malformed digest with usage and exit 2", async () => {
    const { code, output } = await verify(file, "not-a-digest");
    expect(output).toMatch(/usage: npm run verify-volume/);
    expect(code).toBe(2);
  });
});

/** Copies a file's data ranges only, so the copy is as sparse as the original. */
async function sparseCopy(from: string, to: string): Promise<void> {
  const source = await open(from, "r");
  const target = await open(to, "w");
  try {
    await target.truncate((await source.stat()).size);
    const ranges = await dataExtents(from);
    for (let i = 0; i < ranges.length; i += 2) {
      const data = Buffer.alloc(ranges[i + 1] - ranges[i]);
      await source.read(data, 0, data.length, ranges[i]);
      await target.write(data, 0, data.length, ranges[i]);
    }
  } finally {
    await source.close();
    await target.close();
  }
}
