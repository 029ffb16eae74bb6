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
function reply(id, data, hash, input, length) {
  const transfer = [data, input].filter((buffer) => buffer && ownsItsMemory(buffer)).map((buffer) => buffer.buffer);
  parentPort.postMessage({ id, data, hash, input, length }, transfer);
}

// zstd contexts kept for the thread's life: a new one per chunk allocated and freed its
// tables every time. A decode without a buffer of the caller's goes through zstd-napi's
// Decompressor, which sizes the output from the frame.
const { CCtx, DCtx, compressBound } = require("zstd-napi/binding");
const encodeContext = new CCtx();
const decodeContext = new DCtx();
const decompressor = new zstd.Decompressor();

/**
 * Compresses into the caller's buffer (`into`, at least CodecPool.compressedSizeAtMost of the
 * chunk, sent back whole with the length used), else into a new one of the result's size.
 */
function compress(id, data, level, into) {
  const target = into ?? Buffer.allocUnsafe(compressBound(data.length));
  const length = encodeContext.compress(target, data, level);
  if (into) reply(id, into, undefined, data, length);
  else reply(id, Buffer.from(target.subarray(0, length)), undefined, data);
}

/** Decodes into the caller's buffer (`into`, sent back whole with the length used), else into a new one. */
function decompress(id, data, into) {
  if (!into) {
    const raw = decompressor.decompress(data);
    return reply(id, raw, createHash("sha256").update(raw).digest("hex"));
  }
  // A chunk that decodes to more than `into` holds is not a chunk this store wrote: an error.
  const length = decodeContext.decompress(into, data);
  reply(id, into, createHash("sha256").update(into.subarray(0, length)).digest("hex"), undefined, length);
}

parentPort.on("message", ({ id, job, data, level, into }) => {
  // The pool is closing: with its port closed the thread has nothing left to wait for and
  // ends by itself, running zstd-napi's finalizers as a normal exit does.
  if (job === "exit") return parentPort.close();
  try {
    if (job === "hash") {
      reply(id, undefined, createHash("sha256").update(data).digest("hex"), data);
    } else if (job === "compress") {
      compress(id, data, level, into);
    } else if (job === "decompress") {
      decompress(id, data, into);
    } else {
      throw new Error(`unknown job ${job}`);
    }
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
});
