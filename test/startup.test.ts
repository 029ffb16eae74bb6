// Start-up and shutdown order, with real processes: an instance that cannot listen takes
// no work, and a stop always ends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { exited, spawnServer } from "./helpers/child.js";
import { createServer, waitForOperation } from "./helpers/documents.js";
import { rawId } from "./helpers/store.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

describe("a second instance on a port that is taken", () => {
  it("exits with one line naming the port, and leaves the queued operations untouched", async () => {
    await t.app.domain.runner.stop();
    const queued = await Promise.all([1, 2, 3].map((n) => createServer(t.client, { hostname: `queued0${n}` })));
    const port = new URL(t.url).port;

    const second = spawnServer(t.dataDir, { PORT: port });
    const { code, output } = await exited(second);
    expect(code).toBe(1);
    expect(output).toContain(`imprint: failed to start: port ${port} is already in use (set PORT to another port)`);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace

    const rows = await t.app.domain.deps.db.operation.findMany({ where: { id: { in: queued.map((q) => rawId(q.operation.id)) } } });
    expect(rows.map((row) => ({ status: row.status, ownerId: row.ownerId }))).toEqual(Array(3).fill({ status: "QUEUED", ownerId: null }));

    await t.app.domain.runner.start();
    for (const { operation } of queued) expect((await waitForOperation(t.client, operation.id)).status).toBe("SUCCEEDED");
  });
});
