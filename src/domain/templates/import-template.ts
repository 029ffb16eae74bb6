// IMPORT_TEMPLATE: an uploaded bundle (docs/bundle-format.md) becomes an ACTIVE template in
// the store of the datacenter it was imported into. Every chunk is decoded and checked against
// its name before it reaches the store, and every volume's chunk list against its digest;
// the manifest goes last, then the template is ACTIVE. A file that is not a bundle, a newer
// version, a damaged or missing chunk fail it (BAD_IMAGE_FILE, INTEGRITY) and leave the
// template FAILED with nothing in the store, as a failed capture does.
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { BadBundleError, readBundle, type BundleHeader } from "../../storage/bundle.ts";
import { CHUNK_SIZE } from "../../storage/chunk-codec.ts";
import { volumeDigest } from "../../storage/volume-digest.ts";
import type { DomainDeps } from "../deps.ts";
import { BadImageFileError, IntegrityError, type VolumeRole } from "../kernel/index.ts";
import type { Pipeline } from "../operations/index.ts";
import { failTemplate, recordTemplate, type CapturedVolume } from "./capture.ts";
import type { RecordedConfiguration } from "./templates.ts";

export interface ImportRun {
  uploadId: string;
  datacenter: string;
}

/** Where an upload's bytes are. */
export function uploadFile(deps: Pick<DomainDeps, "config">, uploadId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(uploadId)) throw new Error(`invalid upload id ${uploadId}`);
  return path.join(deps.config.dataDir, "uploads", uploadId);
}

interface ManifestVolume {
  index: number;
  role: VolumeRole;
  capacityGb: number;
  lengthBytes: number;
  dataBytes: number;
  digest: string;
  chunks: Array<[number, string]>;
}

/** The volumes of a bundle's manifest, each checked against its digest. */
function volumesOf(header: BundleHeader, what: string): ManifestVolume[] {
  const manifest = header.manifest as { chunkSize?: number; volumes?: ManifestVolume[] };
  if (manifest.chunkSize !== CHUNK_SIZE || !Array.isArray(manifest.volumes)) throw new BadImageFileError(`${what}: its manifest is not one this imprint reads (chunk size ${manifest.chunkSize})`);
  for (const volume of manifest.volumes) {
    if (volumeDigest(volume.lengthBytes, volume.chunks) !== volume.digest) throw new IntegrityError(`${what}: the chunk list of volume ${volume.index} does not match its digest`, []);
  }
  return manifest.volumes;
}

export const importTemplatePipeline: Pipeline<ImportRun, object> = {
  kind: "IMPORT_TEMPLATE",
  cancellableWhileRunning: true,

  async run({ operation, input, deps, progress, signal, lease }) {
    const template = await deps.db.imageTemplate.findUniqueOrThrow({ where: { id: operation.imageTemplateId! } });
    const what = `the bundle imported as "${template.name}"`;
    const chunks = deps.stores.in(input.datacenter);
    const file = uploadFile(deps, input.uploadId);
    let header: BundleHeader | null = null;
    const sizes = new Map<string, { sizeBytes: number; storedBytes: number }>();
    let listed = new Set<string>();
    await progress.step("reading the bundle");
    try {
      await chunks.lock.shared(async () => {
        for await (const member of readBundle(createReadStream(file))) {
          signal.throwIfAborted();
          if ("header" in member) {
            header = member.header;
            for (const chunk of header.chunks) progress.addTotal(chunk.storedBytes);
            listed = new Set(header.chunks.map((chunk) => chunk.hash));
            continue;
          }
          if (!listed.has(member.hash)) throw new BadImageFileError(`${what}: it holds chunk ${member.hash.slice(0, 12)}, which its header does not list`);
          const sizeBytes = await chunks.putStored(member.hash, member.stored, what);
          await chunks.reference(template.id, [member.hash]);
          sizes.set(member.hash, { sizeBytes, storedBytes: member.stored.length });
          progress.advance(member.stored.length);
        }
      });
    } catch (error) {
      if (error instanceof BadBundleError) throw new BadImageFileError(`${what}: ${error.message}`);
      throw error;
    }
    const bundle = header as BundleHeader | null;
    if (!bundle) throw new BadImageFileError(`${what}: not a bundle`);
    const missing = bundle.chunks.find((chunk) => !sizes.has(chunk.hash));
    if (missing) throw new BadImageFileError(`${what}: chunk ${missing.hash.slice(0, 12)} is listed but not in the file (cut short?)`);
    const volumes = volumesOf(bundle, what);
    for (const volume of volumes) {
      const absent = volume.chunks.find(([, hash]) => !sizes.has(hash));
      if (absent) throw new BadImageFileError(`${what}: volume ${volume.index} needs chunk ${absent[1].slice(0, 12)}, which the file does not hold`);
    }

    await progress.step("recording the template");
    const manifest = bundle.manifest as { configuration: RecordedConfiguration };
    const configuration: RecordedConfiguration = { ...manifest.configuration, datacenter: input.datacenter };
    const stored = (volume: ManifestVolume) => [...new Set(volume.chunks.map(([, hash]) => hash))].reduce((sum, hash) => sum + sizes.get(hash)!.storedBytes, 0);
    const captured: CapturedVolume[] = volumes.map((volume) => ({ ...volume, storedBytes: stored(volume) }));
    await lease.check();
    await chunks.store.putManifest(template.globalIdentifier, { ...bundle.manifest as object, globalIdentifier: template.globalIdentifier, name: template.name, configuration, volumes: captured });
    await lease.fenced(recordTemplate(deps, template.id, captured, configuration, [...sizes.values()].reduce((sum, size) => sum + size.storedBytes, 0)));
    // Imported: the upload is spent.
    await rm(file, { force: true });
    await deps.db.imageUpload.deleteMany({ where: { id: input.uploadId } });
  },

  // As a failed capture: what the import put into the store goes, the template is FAILED; the
  // upload is free again (to import once more, or to expire).
  async rollback({ operation, input, deps }) {
    await deps.db.imageUpload.updateMany({ where: { id: input.uploadId, operationId: operation.id }, data: { operationId: null } });
    const template = operation.imageTemplateId ? await deps.db.imageTemplate.findUnique({ where: { id: operation.imageTemplateId } }) : null;
    if (template?.status !== "CAPTURING") return;
    await failTemplate(deps, deps.stores.in(input.datacenter), template);
  },
};
