// Worker thread of the chunk codec pool (plain CommonJS: worker threads load it directly,
// whether the app runs under tsx, vitest or compiled). One job at a time.
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const zstd = require("zstd-napi");

// Background work must not starve requests: this thread runs at a lower priority (nice 10)
// than the main thread, which serves them. Linux gives each thread its own nice value; the
// thread's id is the last part of /proc/thread-self. Elsewhere it keeps the default.
try {
  const threadId = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
  require("node:os").setPriority(threadId, 10);
} catch {
  // no /proc (not Linux), or not allowed: normal priority
}

const ownsItsMemory = (data) => data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;

/**
 * Moves the result back without a copy when it owns its whole ArrayBuffer; `input`, the job's
 * own buffer, goes back too, for the caller to reuse.
 */
function reply(id, data, hash, input) {
  const transfer = [data, input].filter((buffer) => buffer && ownsItsMemory(buffer)).map((buffer) => buffer.buffer);
  parentPort.postMessage({ id, data, hash, input }, transfer);
}

parentPort.on("message", ({ id, job, data, level }) => {
  try {
    if (job === "hash") {
      reply(id, undefined, createHash("sha256").update(data).digest("hex"), data);
    } else if (job === "compress") {
      reply(id, zstd.compress(data, { compressionLevel: level }), undefined, data);
    } else if (job === "decompress") {
      const raw = zstd.decompress(data);
      reply(id, raw, createHash("sha256").update(raw).digest("hex"));
    } else {
      throw new Error(`unknown job ${job}`);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
});
