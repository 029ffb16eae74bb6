// The fault matrix, with real processes: an imprint process stopped at a precise point by a
// faulty port (test/helpers/fault-server.ts), killed with SIGKILL there, and started again on
// the same data. After the restart the shared invariant checker must find nothing wrong.
import { describe, expect, it } from "vitest";
import { CAPTURE } from "./helpers/documents.ts";
import { crashAt, expectInvariants, prepare, SERVER, settled } from "./helpers/crash.ts";
import { volumeChecksums } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";

describe("SIGKILL during a capture", () => {
  for (const [label, nth] of [["~10%", 2], ["~90%", 11]] as const) {
    it(`at ${label} of its chunks: template FAILED, no chunk left, server ACTIVE RUNNING with its data`, async () => {
      const { dataDir, token, server, checksums } = await prepare();
      const { t, client, operationId } = await crashAt(dataDir, token, { pauseAtPut: nth }, async (c) => {
        const started = (await c.query(CAPTURE, { input: { serverId: server.id, name: "crash01-image" } })).captureImageTemplate;
        return started.operation.id;
      });
      try {
        expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
        expect((await client.query(SERVER, { id: server.id })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });
        expect(await volumeChecksums(t.app, rawId(server.id))).toEqual(checksums);
        expect(await t.app.domain.deps.store.listChunks()).toEqual([]);
        await expectInvariants(t);
      } finally {
        await t.stop();
      }
    });
  }
});
