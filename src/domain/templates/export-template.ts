// EXPORT_TEMPLATE: a template written into one bundle file (docs/bundle-format.md) under
// <data dir>/exports, every chunk checked against its name on the way, for its account to
// download (ops/exports.ts) until it expires. The template is held meanwhile, so it cannot be
// deleted under the export; a failed or cancelled export leaves no file and no row.
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { BUNDLE_FORMAT, BUNDLE_VERSION, writeBundle } from "../../storage/bundle.ts";
import type { DomainDeps } from "../deps.ts";
import { IntegrityError, type ExportFormat } from "../kernel/index.ts";
import type { Pipeline } from "../operations/index.ts";
import { storesHolding } from "./chunk-stores.ts";

export interface ExportRun {
  format: ExportFormat;
}

/** Where an export's file is, finished (or being written, `.partial`). */
export function exportFile(deps: Pick<DomainDeps, "config">, operationId: string, { partial = false } = {}): string {
  if (!/^[A-Za-z0-9_-]+$/.test(operationId)) throw new Error(`invalid operation id ${operationId}`);
  return path.join(deps.config.dataDir, "exports", `${operationId}.bundle${partial ? ".partial" : ""}`);
}

export const exportTemplatePipeline: Pipeline<ExportRun, object> = {
  kind: "EXPORT_TEMPLATE",
  cancellableWhileRunning: true,
  holdsTemplate: true,

  async run({ operation, deps, progress, signal, lease }) {
    const template = await deps.db.imageTemplate.findUniqueOrThrow({ where: { id: operation.imageTemplateId! }, include: { volumes: true } });
    const what = `image template "${template.name}" (${template.globalIdentifier})`;
    // Any store that holds it whole will do: the first datacenter's.
    const [chunks] = [...(await storesHolding(deps, template.id)).values()];
    if (!chunks) throw new IntegrityError(`${what} is AVAILABLE in no datacenter`, []);
    const manifest = await chunks.store.getManifest(template.globalIdentifier);
    if (!manifest) throw new IntegrityError(`${what}: its manifest is missing from the ${chunks.store.name}`, []);
    const rows = await deps.db.templateChunk.findMany({ where: { templateId: template.id, store: chunks.key }, include: { chunk: { select: { storedBytes: true } } }, orderBy: { hash: "asc" } });
    for (const row of rows) progress.addTotal(row.chunk.storedBytes);

    await progress.step("writing the bundle");
    const partial = exportFile(deps, operation.id, { partial: true });
    await mkdir(path.dirname(partial), { recursive: true });
    const { sha256, sizeBytes } = await writeBundle(
      createWriteStream(partial),
      {
        bundleFormat: BUNDLE_FORMAT,
        bundleVersion: BUNDLE_VERSION,
        template: { name: template.name, note: template.note, kind: template.kind, family: template.family },
        manifest,
        chunks: rows.map((row) => ({ hash: row.hash, storedBytes: row.chunk.storedBytes })),
      },
      (hash) => chunks.readStored(hash, what),
      { signal, onChunk: (bytes) => progress.advance(bytes) },
    );
    await lease.check();
    await rename(partial, exportFile(deps, operation.id));
    await lease.fenced([
      deps.db.templateExport.create({
        data: { operationId: operation.id, accountId: operation.accountId, format: "BUNDLE", sizeBytes: BigInt(sizeBytes), sha256, expiresAt: new Date(deps.clock.millis() + deps.config.exportTtlMs) },
      }),
    ]);
  },

  // Idempotent: the file, finished or not, and its row are gone afterwards.
  async rollback({ operation, deps }) {
    await rm(exportFile(deps, operation.id, { partial: true }), { force: true });
    await rm(exportFile(deps, operation.id), { force: true });
    await deps.db.templateExport.deleteMany({ where: { operationId: operation.id } });
  },
};

/** Removes the exports whose time is up, file and row (the runner's, at each heartbeat). */
export async function removeExpiredExports(deps: Pick<DomainDeps, "db" | "clock" | "config">): Promise<void> {
  const expired = await deps.db.templateExport.findMany({ where: { expiresAt: { lte: deps.clock.now() } }, select: { operationId: true } });
  for (const { operationId } of expired) {
    await rm(exportFile(deps, operationId), { force: true });
    await deps.db.templateExport.deleteMany({ where: { operationId } });
  }
}
