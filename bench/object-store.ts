// Capture into and restore from S3 (a one-node Swift on this machine, scripts/swift-s3.sh)
// against the same work on the local store, and a copy between two datacenters' S3 stores
// against a plain SDK loop that copies the same objects (GET then PUT, as many at once as
// imprint's copy). Runs alternate between the two sides.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import {
  benchServer, deleteTemplate, GIB, median, MIB, ratio, seconds, spread, startBenchApp, timedCapture, timedDeploy, writeMixedContent, type BenchApp, type Row,
} from "./lib.ts";
import { CHUNKS_AT_ONCE } from "../src/domain/templates/chunks.ts";
import { TaskWindow } from "../src/domain/kernel/task-window.ts";
import { parseS3Location } from "../src/storage/s3-location.ts";
import { newS3Location, s3Env, s3Options, startSwift, swiftUnavailable } from "../test/helpers/swift.ts";

const RUNS = 5;
const DATA = GIB / 2;

export async function objectStoreBenchmarks(): Promise<Row[]> {
  const missing = swiftUnavailable();
  if (missing) return [{ benchmark: "object store", measure: "capture and restore on S3", imprint: `skipped: ${missing}`, baseline: "-", ratio: "-", target: "context", met: "-" }];
  const swift = await startSwift();
  const home = newS3Location("bench");
  const local = await startBenchApp();
  const s3 = await startBenchApp({ IMPRINT_STORE: home, IMPRINT_STORE_FRA02: newS3Location("bench-fra02"), ...s3Env(swift.endpoint) });
  const sdk = new S3Client({ ...s3Options(swift.endpoint), forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
  try {
    const servers = { local: await benchServer(local, "local01", 1), s3: await benchServer(s3, "s3bench01", 1) };
    // The same bytes on both: one seed.
    await writeMixedContent(servers.local.dataVolume, DATA, "bench-object-store");
    await writeMixedContent(servers.s3.dataVolume, DATA, "bench-object-store");
    const captures = { local: [] as number[], s3: [] as number[] };
    const restores = { local: [] as number[], s3: [] as number[] };
    const copies = { imprint: [] as number[], sdk: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      for (const [name, bench] of [["local", local], ["s3", s3]] as const) {
        const capture = await timedCapture(bench, servers[name].id, `store-${run}`);
        captures[name].push(capture.ms);
        restores[name].push(await timedDeploy(bench, capture.templateId, `restore${run}`));
        if (name === "s3") {
          copies.imprint.push(await timedCopy(s3, capture.templateId, "fra02"));
          copies.sdk.push(await sdkCopy(sdk, home, newS3Location("bench-sdk")));
        }
        // Each run starts from empty stores, as the first capture of new data does.
        await deleteTemplate(bench, capture.templateId);
      }
    }
    const row = (measure: string, imprint: number[], baseline: number[], baselineName: string): Row => {
      const [imprintMs, baselineMs] = [median(imprint), median(baseline)];
      return {
        benchmark: "object store (Swift s3api)",
        measure: `${measure} ${DATA / MIB} MiB mixed, median of ${RUNS} alternating (spread)`,
        imprint: `${seconds(imprintMs)} (${spread(imprint)})`,
        baseline: `${baselineName} ${seconds(baselineMs)} (${spread(baseline)})`,
        ratio: ratio(imprintMs, baselineMs),
        target: "context",
        met: "-",
      };
    };
    return [
      row("capture into S3 vs into the local store:", captures.s3, captures.local, "local store"),
      row("deploy from S3 vs from the local store:", restores.s3, restores.local, "local store"),
      row(`copy to another datacenter's bucket vs an SDK loop (GET then PUT, ${CHUNKS_AT_ONCE} at once):`, copies.imprint, copies.sdk, "SDK loop"),
    ];
  } finally {
    sdk.destroy();
    await s3.stop();
    await local.stop();
    await swift.stop();
  }
}

/** addImageTemplateDatacenters to SUCCEEDED (the copy of every chunk, verified, and the manifest). */
async function timedCopy(bench: BenchApp, templateId: string, datacenter: string): Promise<number> {
  const started = performance.now();
  const { addImageTemplateDatacenters } = await bench.gql<any>(
    `mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { ... on AddImageTemplateDatacentersPayload { operation { id } } ... on Error { message } } }`,
    { input: { id: templateId, datacenters: [datacenter] } },
  );
  await bench.waitFor(addImageTemplateDatacenters.operation.id);
  return performance.now() - started;
}

/** Every object under the home store's prefix, GET then PUT into a new bucket, as many at once as imprint's copy. */
async function sdkCopy(sdk: S3Client, from: string, to: string): Promise<number> {
  const source = parseS3Location(from);
  const target = parseS3Location(to);
  await sdk.send(new CreateBucketCommand({ Bucket: target.bucket }));
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await sdk.send(new ListObjectsV2Command({ Bucket: source.bucket, Prefix: `${source.prefix}chunks/`, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const started = performance.now();
  const window = new TaskWindow(CHUNKS_AT_ONCE);
  for (const key of keys) {
    await window.add(async () => {
      const object = await sdk.send(new GetObjectCommand({ Bucket: source.bucket, Key: key }));
      const body = await object.Body!.transformToByteArray();
      await sdk.send(new PutObjectCommand({ Bucket: target.bucket, Key: `${target.prefix}${key}`, Body: body, ContentLength: body.length }));
    });
  }
  await window.drain();
  return performance.now() - started;
}
