// Worker thread of StreamHasher: one SHA-256 over a whole volume, fed in order. It reports
// how many bytes it has hashed, so the feeder can keep progress honest and memory bounded.
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");

const hash = createHash("sha256");
const ZEROS = Buffer.alloc(4 * 1024 * 1024);
let hashed = 0;

parentPort.on("message", (message) => {
  if (message.kind === "data") {
    hash.update(message.data);
    hashed += message.data.byteLength;
    parentPort.postMessage({ kind: "hashed", bytes: hashed });
  } else if (message.kind === "zeros") {
    for (let left = message.length; left > 0; left -= ZEROS.length) hash.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    hashed += message.length;
    parentPort.postMessage({ kind: "hashed", bytes: hashed });
  } else if (message.kind === "digest") {
    parentPort.postMessage({ kind: "digest", hex: hash.digest("hex") });
  }
});
