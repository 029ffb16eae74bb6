// An owner that was only paused, not dead: instance A is stopped (SIGSTOP) in the middle of a
// capture, instance B takes the operation over after the stale-owner time and rolls it back;
// then A wakes up (SIGCONT) and goes on with the capture it had. Its lease is gone (B raised
// the operation's claim), so it must find that out and stop without writing anything: no
// chunk reference, no template activated, no status, no power change.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDataDir, startTestApp, type TestApp } from "./helpers/app.ts";
import { startChildServer, type ChildServer } from "./helpers/child.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE } from "./helpers/documents.ts";
import { prepare, SERVER } from "./helpers/crash.ts";
import { checkInvariants } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const TIMING = { IMPRINT_HEARTBEAT_MS: "200", IMPRINT_STALE_OWNER_MS: "1500" };

let a: ChildServer;
let b: TestApp;
let dataDir: string;

afterAll(async () => {
  a?.process.kill("SIGCONT");
  await a?.kill("SIGKILL");
  await b?.stop({ keepData: true });
  if (dataDir) removeDataDir(dataDir);
});

describe("an owner paused past a takeover", () => {
  let prepared: Awaited<ReturnType<typeof prepare>>;
  beforeAll(async () => {
    prepared = await prepare();
    dataDir = prepared.dataDir;
  });

  it("finds out when it wakes and writes nothing: the template stays FAILED with no chunks, the server as B left it", async () => {
    a = await startChildServer(
      dataDir,
      { ...TIMING, LOG_LEVEL: "warn", IMPRINT_TEST_FAULTS: JSON.stringify({ pauseAtPut: 3, resumeWhenFile: path.join(dataDir, "resume") }) },
      "test/helpers/fault-server.ts",
    );
    const onA = new GraphQLClient(a.url, prepared.token);
    const started = (await onA.query(CAPTURE, { input: { serverId: prepared.server.id, name: "paused-image" } })).captureImageTemplate;
    await a.waitForOutput(/fault: paused at chunk write 3/);
    const operationId = rawId(started.operation.id);
    const templateId = rawId(started.imageTemplate.id);

    // A stops beating; B, on the same database and data, takes the operation over.
    a.process.kill("SIGSTOP");
    b = await startTestApp({ dataDir, env: TIMING });
    const db = b.app.domain.deps.db;
    const taken = await until(async () => {
      const row = await db.operation.findUnique({ where: { id: operationId } });
      return row?.status === "FAILED" ? row : null;
    }, "B ending the operation");
    expect(taken).toMatchObject({ errorCode: "INTERRUPTED", claim: 2, ownerId: b.app.domain.runner.ownerId });
    expect(await db.imageTemplate.findUnique({ where: { id: templateId } })).toMatchObject({ status: "FAILED" });
    const onB = new GraphQLClient(b.url, prepared.token);
    const serverAfterTakeover = (await onB.query(SERVER, { id: prepared.server.id })).node;
    expect(serverAfterTakeover).toMatchObject({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });

    // A wakes up, in the middle of its capture, and is let go on with it.
    a.process.kill("SIGCONT");
    writeFileSync(path.join(dataDir, "resume"), "");
    await a.waitForOutput(/fault: resumed at chunk write 3/);
    await a.waitForOutput(/taken over by another instance; this one stops without writing/);

    expect(await db.operation.findUnique({ where: { id: operationId } })).toMatchObject({ status: "FAILED", errorCode: "INTERRUPTED", claim: 2 });
    expect(await db.imageTemplate.findUnique({ where: { id: templateId } })).toMatchObject({ status: "FAILED", sizeBytes: 0n });
    expect(await db.templateChunk.count({ where: { templateId } })).toBe(0);
    expect(await db.templateVolume.count({ where: { templateId } })).toBe(0);
    expect((await onB.query(SERVER, { id: prepared.server.id })).node).toEqual(serverAfterTakeover);
    // The chunk writes A had in flight when it stopped did finish: chunks no template uses,
    // which the store's next sweep takes (here the failed template's release, run again).
    const problems = await checkInvariants(b.app, b.dataDir, b.url);
    expect(problems.filter((problem) => !/^chunk [0-9a-f]+ is referenced by no template$/.test(problem))).toEqual([]);
    await b.app.domain.deps.chunks.release(templateId);
    expect(await checkInvariants(b.app, b.dataDir, b.url)).toEqual([]);
  });
});
