// Worker thread of the chunk codec pool (plain CommonJS: worker threads load it directly,
// whether the app runs under tsx, vitest or compiled). One job at a time.
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const zstd = require("zstd-napi");

/** Moves the result back without a copy when it owns its whole ArrayBuffer. */
function reply(id, data, hash) {
  const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  parentPort.postMessage({ id, data, hash }, owned ? [data.buffer] : []);
}

parentPort.on("message", ({ id, job, data, level }) => {
  try {
    if (job === "compress") {
      const hash = createHash("sha256").update(data).digest("hex");
      reply(id, zstd.compress(data, { compressionLevel: level }), hash);
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
