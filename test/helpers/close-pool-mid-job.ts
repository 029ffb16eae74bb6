// Run as a child process by codec-pool.test.ts: closes codec pools again and again while
// their workers compress, and exits 0 if the process survived every close (an abort in a
// worker kills the whole process, so the test must watch it from outside).
import { randomBytes } from "node:crypto";
import { CodecPool } from "../../src/storage/codec-pool.ts";

const rounds = Number(process.argv[2]);
const chunk = randomBytes(4 << 20);
for (let round = 0; round < rounds; round++) {
  const pool = new CodecPool(4);
  const jobs = Array.from({ length: 12 }, () => pool.compress(Buffer.from(chunk)).then(() => "done", () => "rejected"));
  // Close at a different point of the work each round: before, during and between chunks.
  await new Promise((resolve) => setTimeout(resolve, round % 6));
  await pool.close();
  await Promise.all(jobs);
}
console.log(`closed ${rounds} pools mid-job`);
