// Worker threads that die: the job fails with a clear error, the pool replaces the worker,
// and closing the pool rejects what is queued. No promise waits for ever.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CodecError, CodecPool } from "../src/storage/codec-pool.ts";
import { exited } from "./helpers/child.ts";
import { DyingCodecPool } from "./helpers/faults.ts";
import { until } from "./helpers/wait.ts";

/** Threads of this process running at the given nice value (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadsAtNice(nice: number): number {
  return readdirSync("/proc/self/task").filter((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]) === nice;
  }).length;
}

describe("CodecPool", () => {
  it("runs its workers at a lower priority than the thread that serves requests", async () => {
    const before = threadsAtNice(10);
    const pool = new CodecPool(2);
    try {
      await Promise.all([1, 2, 3, 4].map(() => pool.compress(randomBytes(1024 * 1024))));
      await until(async () => threadsAtNice(10) === before + 2, "both workers at nice 10", 10_000);
      expect(threadsAtNice(10)).toBe(before + 2);
    } finally {
      await pool.close();
    }
  });

  it("names a chunk by its SHA-256 and gives its memory back with the same bytes", async () => {
    const pool = new CodecPool(1);
    try {
      const chunk = randomBytes(4 * 1024 * 1024);
      const expected = createHash("sha256").update(chunk).digest("hex");
      const copy = Buffer.from(chunk);
      const { sha256, raw } = await pool.hash(chunk);
      expect(sha256).toBe(expected);
      expect(raw.equals(copy)).toBe(true);
      const { compressed, raw: back } = await pool.compress(raw);
      expect(back.equals(copy)).toBe(true);
      expect((await pool.decompress(compressed)).sha256).toBe(expected);
    } finally {
      await pool.close();
    }
  });

  it("compresses a chunk into the caller's buffer and gives that memory back; a buffer too small for it is a CodecError", async () => {
    const pool = new CodecPool(1);
    try {
      const chunk = Buffer.concat([randomBytes(1024 * 1024), Buffer.alloc(3 * 1024 * 1024, 5)]);
      const into = Buffer.allocUnsafeSlow(CodecPool.compressedSizeAtMost(chunk.length));
      const { compressed, raw } = await pool.compress(Buffer.from(chunk), into);
      expect(into.byteLength).toBe(0); // moved to the worker
      expect(compressed.buffer.byteLength).toBe(CodecPool.compressedSizeAtMost(chunk.length)); // the same memory came back
      expect(compressed.length).toBeLessThan(chunk.length / 2);
      expect(raw.equals(chunk)).toBe(true);
      expect((await pool.decompress(Buffer.from(compressed))).raw.equals(chunk)).toBe(true);
      await expect(pool.compress(randomBytes(1024 * 1024), Buffer.allocUnsafeSlow(1024))).rejects.toThrow(CodecError);
    } finally {
      await pool.close();
    }
  });

  it("decodes a chunk into the caller's buffer and gives that memory back; a chunk too long for it is a CodecError", async () => {
    const pool = new CodecPool(1);
    try {
      const chunk = Buffer.concat([randomBytes(1024 * 1024), Buffer.alloc(1024 * 1024, 3)]);
      const { compressed } = await pool.compress(Buffer.from(chunk));
      const into = Buffer.allocUnsafeSlow(4 * 1024 * 1024);
      const memory = into.buffer;
      const { raw, sha256 } = await pool.decompress(Buffer.from(compressed), into);
      expect(into.byteLength).toBe(0); // moved to the worker
      expect(raw.byteLength).toBe(chunk.length);
      expect(raw.buffer.byteLength).toBe(4 * 1024 * 1024); // the same 4 MiB came back, not a new buffer
      expect(raw.equals(chunk)).toBe(true);
      expect(sha256).toBe(createHash("sha256").update(chunk).digest("hex"));
      expect(memory.byteLength).toBe(0);
      await expect(pool.decompress(Buffer.from(compressed), Buffer.allocUnsafeSlow(1024 * 1024))).rejects.toThrow(CodecError);
      expect((await pool.decompress(Buffer.from(compressed))).raw.equals(chunk)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it("fails the job of a worker that dies, and keeps working with a new one", async () => {
    const pool = new DyingCodecPool(2);
    try {
      await pool.compress(randomBytes(1024 * 1024));
      await expect(pool.compress(randomBytes(1024 * 1024))).rejects.toThrow(/a codec worker thread exited with code \d+ while it compressed a chunk/);
      const after = await Promise.all([1, 2, 3, 4].map(() => pool.compress(Buffer.alloc(1024 * 1024, 7))));
      expect(new Set(after.map((r) => r.compressed.toString("base64"))).size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("rejects queued and running jobs when it is closed", async () => {
    const pool = new DyingCodecPool(0);
    const jobs = Array.from({ length: 20 }, () => pool.compress(randomBytes(4 * 1024 * 1024)));
    const settled = Promise.allSettled(jobs);
    await pool.close();
    const results = await settled;
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect(String((r as PromiseRejectedResult).reason)).toMatch(/closed/);
    await expect(pool.compress(Buffer.alloc(10))).rejects.toThrow(/closed/);
  });

  it("closes while its workers compress without bringing the process down", async () => {
    // Terminated inside a zstd call, a worker aborts the whole process; in a child, 100
    // closes at different points of the work, which took it down in 4 runs of 4 before the fix.
    const child = spawn(process.execPath, ["test/helpers/close-pool-mid-job.ts", "100"]);
    const { code, output } = await exited(child);
    expect({ code, signal: child.signalCode }).toEqual({ code: 0, signal: null });
    expect(output).toContain("closed 100 pools mid-job");
  });
});
