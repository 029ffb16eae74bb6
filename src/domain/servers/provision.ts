// PROVISION: make the new server's volume files, write the operating system onto the boot
// volume (its bootable image where the catalogue has one, else synthetic content; demo data
// onto data volumes when asked), write the config drive, then start the machine.
import { requireServerTransition, GIB, naming } from "../kernel/index.ts";
import { nocloudSeed } from "./host-config.ts";
import type { Pipeline } from "../operations/index.ts";
import type { ProvisionInput } from "./servers.ts";
import { hostIdentityRegion, REGION_BYTES, writeSyntheticContent } from "../../storage/synthetic-content.ts";

import { failNewServer, type NewServerUndo } from "./new-server.ts";
import { startMachine } from "./machine.ts";
import { copyImage, imageDataBytes } from "../../storage/disk-image.ts";

/** Demo data volumes get this much content; the rest of their capacity stays sparse. */
const DEMO_DATA_BYTES = 48 * 1024 * 1024;

export const provisionPipeline: Pipeline<ProvisionInput, NewServerUndo> = {
  kind: "PROVISION",
  cancellableWhileRunning: true,

  async run({ operation, input, deps, signal, progress, remember, lease }) {
    const { db, volumes, config } = deps;
    const server = await db.server.findUniqueOrThrow({
      where: { id: operation.serverId! },
      include: { volumes: { orderBy: { index: "asc" } } },
    });
    const image = deps.catalog.findOperatingSystem(server.os)?.imageFile;
    // Missing, it fails as "the file is missing" (npm run guest:build makes it).
    const imageBytes = image ? await naming(`the ${server.os} image`, () => imageDataBytes(image)) : 0;

    await progress.step("allocating volumes");
    await remember({ volumeIds: server.volumes.map((v) => v.id) });
    const plan = server.volumes.map((volume) => {
      const capacity = volume.capacityGb * GIB;
      const content =
        volume.role === "BOOT" ? Math.min(image ? imageBytes : config.osImageBytes, capacity) : volume.role === "DATA" && input.demoContent ? Math.min(DEMO_DATA_BYTES, capacity) : 0;
      return { volume, capacity, content };
    });
    for (const { volume, capacity, content } of plan) {
      await volumes.create(volume.id, capacity);
      progress.addTotal(content);
    }

    for (const { volume, content } of plan) {
      if (content === 0) continue;
      signal.throwIfAborted();
      const file = await volumes.open(volume.id, "write");
      try {
        if (volume.role === "BOOT" && image) {
          await progress.step(`writing operating system ${server.os}`);
          await copyImage(image, file, { signal, onProgress: (n) => progress.advance(n) });
        } else if (volume.role === "BOOT") {
          await progress.step(`writing operating system ${server.os}`);
          // Same OS, same bytes: servers of one OS share most of their boot volume, as real images do.
          await writeSyntheticContent(file, { offset: 0, length: content, seed: `os:${server.os}`, signal, onProgress: (n) => progress.advance(n) });
          await file.write(hostIdentityRegion({ hostname: server.hostname, fqdn: server.fqdn, serverId: server.id, os: server.os }), 0, REGION_BYTES, REGION_BYTES);
        } else {
          await progress.step(`writing data volume ${volume.index}`);
          await writeSyntheticContent(file, { offset: 0, length: content, seed: `data:${server.id}:${volume.index}`, signal, onProgress: (n) => progress.advance(n) });
        }
        await file.sync();
      } finally {
        await file.close();
      }
    }

    await progress.step("configuring the host");
    await deps.configDrives.write(server.id, nocloudSeed(server, input.userData));

    await progress.step("powering on");
    signal.throwIfAborted();
    // Started and ACTIVE only under the lease (its new owner fails the server otherwise).
    await lease.check();
    await startMachine(deps, server.id);
    await lease.check();
    await requireServerTransition(db, server.id, "ACTIVE", { powerState: "RUNNING" });
  },

  async rollback({ operation, undo, deps }) {
    await failNewServer(deps, operation, undo);
  },
};
