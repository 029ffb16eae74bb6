import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("has working defaults: port 4000, ./data, SQLite in the data dir, demo data on", () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.databaseUrl).toBe(`file:${config.dataDir}/imprint.db`);
    expect(config.seedDemo).toBe(true);
    expect(config.env).toBe("development");
  });

  it("lists the IMPRINT_* variables it does not read (a typo), and no other variable", () => {
    const config = loadConfig({ IMPRINT_STROE: "s3://bucket", IMPRINT_HEARTBEAT_MS: "500", IMPRINT_SEED_DEMO: "false", HOME: "/root", PATH: "/usr/bin" });
    expect(config.unknownVariables).toEqual(["IMPRINT_STROE"]);
    expect(config.heartbeatMs).toBe(500);
  });

  it("reads every IMPRINT_* variable of the README's configuration table, also in production", () => {
    const documented = [...readFileSync("README.md", "utf8").matchAll(/^\| `(IMPRINT_[A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThan(20);
    const unset = Object.fromEntries(documented.map((name) => [name, ""]));
    expect(loadConfig(unset).unknownVariables).toEqual([]);
    expect(loadConfig({ ...unset, NODE_ENV: "production", DATABASE_URL: "file:/tmp/imprint.db" }).unknownVariables).toEqual([]);
  });

  it("takes the image store as a folder by default, a file:// URL or an s3:// bucket with the SDK's variables", () => {
    expect(loadConfig({ IMPRINT_DATA_DIR: "/srv/imprint" }).store).toEqual({ kind: "file", path: "/srv/imprint/store" });
    expect(loadConfig({ IMPRINT_STORE: "file:///mnt/images" }).store).toEqual({ kind: "file", path: "/mnt/images" });
    expect(
      loadConfig({ IMPRINT_STORE: "s3://imprint-fra02/chunks", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:8090", AWS_ACCESS_KEY_ID: "test:tester", AWS_SECRET_ACCESS_KEY: "testing", IMPRINT_S3_ATTEMPTS: "3" }).store,
    ).toEqual({
      kind: "s3",
      location: "s3://imprint-fra02/chunks",
      attempts: 3,
      timeoutMs: 30_000,
      endpoint: "http://127.0.0.1:8090",
      region: "us-east-1",
      credentials: { accessKeyId: "test:tester", secretAccessKey: "testing" },
    });
    expect(loadConfig({ IMPRINT_STORE: "s3://imprint", AWS_REGION: "eu-de" }).store).toMatchObject({ endpoint: null, region: "eu-de", credentials: null });
  });

  const invalid: Array<[string, Record<string, string>]> = [
    ["PORT", { PORT: "eighty" }],
    ["PORT", { PORT: "70000" }],
    ["NODE_ENV", { NODE_ENV: "staging" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://localhost/imprint" }],
    ["REDIS_URL", { REDIS_URL: "localhost:6379" }],
    ["IMPRINT_DEMO_TOKEN", { IMPRINT_DEMO_TOKEN: "short" }],
    ["IMPRINT_SEED_DEMO", { IMPRINT_SEED_DEMO: "maybe" }],
    ["IMPRINT_MAX_CONCURRENT_OPERATIONS", { IMPRINT_MAX_CONCURRENT_OPERATIONS: "0" }],
    ["IMPRINT_STORE", { IMPRINT_STORE: "gs://bucket/chunks" }],
    ["IMPRINT_STORE", { IMPRINT_STORE: "s3://Bad_Bucket" }],
    ["IMPRINT_STORE", { IMPRINT_STORE: "file://relative/folder" }],
    ["IMPRINT_COMPUTE_HOST", { IMPRINT_COMPUTE_HOST: "host a" }],
    ["AWS_ENDPOINT_URL_S3", { IMPRINT_STORE: "s3://imprint", AWS_ENDPOINT_URL_S3: "127.0.0.1:8090" }],
  ];
  it("takes a PostgreSQL DATABASE_URL, and names it without its password when it is not one it can use", () => {
    expect(loadConfig({ DATABASE_URL: "postgresql://imprint:secret@db.example:5432/imprint" }).databaseUrl).toBe("postgresql://imprint:secret@db.example:5432/imprint");
    expect(loadConfig({ DATABASE_URL: "postgres://db.example/imprint" }).databaseUrl).toBe("postgres://db.example/imprint");
    expect(() => loadConfig({ DATABASE_URL: "mysql://imprint:secret@db.example/imprint" })).toThrow('"mysql://imprint:***@db.example/imprint"');
  });

  for (const [variable, env] of invalid) {
    it(`stops on an invalid ${variable} (${Object.values(env)[0]}) with a message naming it`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
    });
  }

  it("in production: needs an explicit DATABASE_URL, has no demo data and no demo token", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/^DATABASE_URL:/);
    expect(() => loadConfig({ NODE_ENV: "production", DATABASE_URL: "file:/tmp/x.db", IMPRINT_DEMO_TOKEN: "imp_0123456789abcdef" })).toThrow(
      /^IMPRINT_DEMO_TOKEN:/,
    );
    const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: "file:/tmp/x.db", IMPRINT_SEED_DEMO: "true" });
    expect(config.seedDemo).toBe(false);
    expect(config.host).toBe("0.0.0.0");
  });
});
