// The image store port's contract, run against both adapters: the local folder and S3 on the
// run's Swift (helpers/swift.ts). Then the S3 adapter's faults, through a real HTTP hop that
// throttles, goes down or hangs (helpers/s3-fault-proxy.ts): retried with backoff up to the
// configured attempts, then a StoreUnreachableError naming the store, within a bounded time.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalImageStore, type ImageStore } from "../src/storage/image-store.ts";
import { S3ImageStore } from "../src/storage/s3-image-store.ts";
import { storeFault, StoreUnreachableError } from "../src/storage/store-errors.ts";
import { S3FaultProxy } from "./helpers/s3-fault-proxy.ts";
import { newS3Location, s3Endpoint, s3Options, swiftUnavailable } from "./helpers/swift.ts";

const S3_SKIP = s3Endpoint ? null : (swiftUnavailable() ?? "no TEST_S3_ENDPOINT");

function chunk(size = 1000): { hash: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  return { hash: createHash("sha256").update(bytes).digest("hex"), bytes };
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

const adapters: Array<[string, string | null, () => Promise<{ store: ImageStore; cleanup(): Promise<void> }>]> = [
  [
    "local folder",
    null,
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), "imprint-store-"));
      return { store: new LocalImageStore(root), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
    },
  ],
  [
    "S3 on Swift",
    S3_SKIP,
    async () => {
      // Pages of two keys: listing must follow continuation tokens.
      const store = new S3ImageStore(newS3Location("contract"), { attempts: 3, timeoutMs: 10_000, listPageSize: 2, ...s3Options() });
      await store.ensureBucket();
      return { store, cleanup: () => store.close() };
    },
  ],
];

for (const [name, skip, make] of adapters) {
  describe.skipIf(skip !== null)(`image store contract: ${name}${skip ? ` (skipped: ${skip})` : ""}`, () => {
    let store: ImageStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await make());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it("gives back the bytes written under a hash, and says which hashes it has", async () => {
      const { hash, bytes } = chunk(4 * 1024 * 1024 + 17);
      expect(await store.hasChunk(hash)).toBe(false);
      await store.putChunk(hash, bytes);
      expect(await store.hasChunk(hash)).toBe(true);
      expect((await store.getChunk(hash)).equals(bytes)).toBe(true);
    });

    it("takes a chunk written twice (another capture of the same data) and keeps one copy", async () => {
      const { hash, bytes } = chunk();
      await store.putChunk(hash, bytes);
      await store.putChunk(hash, bytes);
      expect((await store.getChunk(hash)).equals(bytes)).toBe(true);
      expect((await store.listChunks()).filter((listed) => listed === hash)).toHaveLength(1);
    });

    it("answers a missing chunk with a missing fault, not another error", async () => {
      const { hash } = chunk();
      expect(storeFault(await rejection(store.getChunk(hash)))).toBe("missing");
      expect(await store.hasChunk(hash)).toBe(false);
    });

    it("lists every chunk however many pages it takes, and deletes one or many, missing ones included", async () => {
      const written = Array.from({ length: 7 }, () => chunk(100));
      for (const { hash, bytes } of written) await store.putChunk(hash, bytes);
      const listed = new Set(await store.listChunks());
      for (const { hash } of written) expect(listed.has(hash)).toBe(true);

      await store.deleteChunk(written[0].hash);
      await store.deleteChunk(written[0].hash); // already gone: no error
      const absent = chunk().hash;
      await store.deleteChunks([...written.slice(1, 5).map((c) => c.hash), absent]);
      const left = new Set(await store.listChunks());
      for (const { hash } of written.slice(0, 5)) expect(left.has(hash)).toBe(false);
      for (const { hash } of written.slice(5)) expect(left.has(hash)).toBe(true);
      expect(await store.hasChunk(written[6].hash)).toBe(true);
    });

    it("keeps manifests by name and answers null for one it does not have", async () => {
      const manifest = { format: 1, volumes: [{ index: 0, chunks: [[0, chunk().hash]] }] };
      await store.putManifest("tmpl_contract", manifest);
      expect(await store.getManifest("tmpl_contract")).toEqual(manifest);
      await store.deleteManifest("tmpl_contract");
      expect(await store.getManifest("tmpl_contract")).toBeNull();
      await store.deleteManifest("tmpl_contract");
    });

    it("reports no problem while it works", async () => {
      expect(await store.problem()).toBeNull();
    });
  });
}

describe.skipIf(S3_SKIP !== null)(`S3 store faults${S3_SKIP ? ` (skipped: ${S3_SKIP})` : ""}`, () => {
  let proxy: S3FaultProxy;
  let store: S3ImageStore;
  let location: string;
  beforeAll(async () => {
    proxy = await new S3FaultProxy(s3Endpoint!).start();
    location = newS3Location("faults");
    store = new S3ImageStore(location, { attempts: 4, timeoutMs: 500, ...s3Options(proxy.url) });
    await store.ensureBucket();
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.stop();
  });

  it("retries throttling (503 SlowDown) and succeeds within its attempts", async () => {
    const { hash, bytes } = chunk();
    proxy.pass();
    const before = proxy.requests;
    proxy.throttle(2);
    await store.putChunk(hash, bytes);
    expect(proxy.requests - before).toBe(3);
    expect((await store.getChunk(hash)).equals(bytes)).toBe(true);
  });

  it("gives up after its attempts on a store that stays down, naming it and saying why", async () => {
    const { hash, bytes } = chunk();
    proxy.down();
    const before = proxy.requests;
    const error = await rejection(store.putChunk(hash, bytes));
    proxy.pass();
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect(storeFault(error)).toBe("unreachable");
    expect((error as Error).message).toContain(`image store "${location}" is unreachable`);
    expect((error as Error).message).toMatch(/HTTP 503.*after 4 attempt/);
    expect(proxy.requests - before).toBe(4);
  });

  it("says a store refused (wrong keys) at once, naming it, without retrying", async () => {
    const wrong = new S3ImageStore(location, { attempts: 4, timeoutMs: 500, ...s3Options(proxy.url), credentials: { accessKeyId: "test:tester", secretAccessKey: "not the secret" } });
    const before = proxy.requests;
    const error = await rejection(wrong.putChunk(chunk().hash, randomBytes(10)));
    await wrong.close();
    expect(storeFault(error)).toBe("refused");
    expect((error as Error).message).toContain(`image store "${location}" refused the request`);
    expect((error as Error).message).toMatch(/HTTP 403/);
    expect(proxy.requests - before).toBe(1);
  });

  it("times out a store that does not answer instead of hanging, and /readyz's probe says so", async () => {
    proxy.hang();
    const error = await rejection(store.getChunk(chunk().hash));
    const problem = await store.problem();
    proxy.pass();
    // It came back at all (4 attempts of 500 ms, not the test's deadline): bounded, whatever the store does.
    expect(storeFault(error)).toBe("unreachable");
    expect(problem).toContain(`image store "${location}" is unreachable`);
    expect(await store.problem()).toBeNull();
  });
});
