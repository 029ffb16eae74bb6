// Capture into and restore from S3 (a one-node Swift on this machine, scripts/swift-s3.sh)
// against the same work on the local store, runs alternating between the two.
import {
  benchServer, deleteTemplate, GIB, median, MIB, ratio, seconds, startBenchApp, timedCapture, timedDeploy, writeMixedContent, type Row,
} from "./lib.ts";
import { newS3Location, s3Env, startSwift, swiftUnavailable } from "../test/helpers/swift.ts";

const RUNS = 5;
const DATA = GIB / 2;

const spread = (values: number[]) => `${seconds(Math.min(...values))}–${seconds(Math.max(...values))}`;

export async function objectStoreBenchmarks(): Promise<Row[]> {
  const missing = swiftUnavailable();
  if (missing) return [{ benchmark: "object store", measure: "capture and restore on S3", imprint: `skipped: ${missing}`, baseline: "-", ratio: "-", target: "context", met: "-" }];
  const swift = await startSwift();
  const local = await startBenchApp();
  const s3 = await startBenchApp({ IMPRINT_STORE: newS3Location("bench"), ...s3Env(swift.endpoint) });
  try {
    const servers = { local: await benchServer(local, "local01", 1), s3: await benchServer(s3, "s3bench01", 1) };
    // The same bytes on both: one seed.
    await writeMixedContent(servers.local.dataVolume, DATA, "bench-object-store");
    await writeMixedContent(servers.s3.dataVolume, DATA, "bench-object-store");
    const captures = { local: [] as number[], s3: [] as number[] };
    const restores = { local: [] as number[], s3: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      for (const [name, bench] of [["local", local], ["s3", s3]] as const) {
        const capture = await timedCapture(bench, servers[name].id, `store-${run}`);
        captures[name].push(capture.ms);
        restores[name].push(await timedDeploy(bench, capture.templateId, `restore${run}`));
        // Each run starts from an empty store, as the first capture of new data does.
        await deleteTemplate(bench, capture.templateId);
      }
    }
    const row = (measure: string, values: { local: number[]; s3: number[] }): Row => {
      const [s3Ms, localMs] = [median(values.s3), median(values.local)];
      return {
        benchmark: "object store (Swift s3api)",
        measure: `${measure} ${DATA / MIB} MiB mixed, median of ${RUNS} alternating (spread)`,
        imprint: `${seconds(s3Ms)} (${spread(values.s3)})`,
        baseline: `local store ${seconds(localMs)} (${spread(values.local)})`,
        ratio: ratio(s3Ms, localMs),
        target: "context",
        met: "-",
      };
    };
    return [row("capture into S3 vs into the local store:", captures), row("deploy from S3 vs from the local store:", restores)];
  } finally {
    await s3.stop();
    await local.stop();
    await swift.stop();
  }
}
