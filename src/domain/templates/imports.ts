// Importing templates: an upload (made by createImageUpload, filled over HTTP by
// http/uploads.ts, resumable), then IMPORT_TEMPLATE (import-template.ts) from it.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BadBundleError, readBundle, type BundleHeader } from "../../storage/bundle.ts";
import type { DomainDeps, Viewer } from "../deps.ts";
import {
  BadImageFileError,
  ConflictError,
  FieldProblems,
  findDatacenter,
  INITIAL,
  NotFoundError,
  ValidationError,
  type ExportFormat,
  type ImageTemplateKind,
} from "../kernel/index.ts";
import { checkDatacenter } from "../servers/index.ts";
import type { Operations } from "../operations/index.ts";
import { uploadFile, type ImportRun } from "./import-template.ts";
import { checkName, nameTaken, type TemplateRow, type TemplateWithOperation, type Templates } from "./templates.ts";

export type UploadRow = Awaited<ReturnType<DomainDeps["db"]["imageUpload"]["findFirstOrThrow"]>>;

/** Why a part of an upload was not taken: it does not start where the upload ends, or would grow it past its bound. */
export class UploadRefused extends Error {
  readonly status: 409 | 413;
  readonly receivedBytes: number;
  constructor(status: 409 | 413, message: string, receivedBytes: number) {
    super(message);
    this.status = status;
    this.receivedBytes = receivedBytes;
  }
}

export class Imports {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  private readonly templates: Templates;
  constructor(deps: DomainDeps, operations: Operations, templates: Templates) {
    this.deps = deps;
    this.operations = operations;
    this.templates = templates;
  }

  /** A new, empty upload of the viewer's; `sizeBytes`, when given, bounds it and is what an import waits for. */
  async createUpload(viewer: Viewer, input: { sizeBytes?: number | null }): Promise<UploadRow> {
    const max = this.deps.config.maxUploadBytes;
    if (input.sizeBytes != null && (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes < 1 || input.sizeBytes > max)) {
      throw ValidationError.field("sizeBytes", `must be 1 to ${max} bytes (IMPRINT_MAX_UPLOAD_MB)`);
    }
    const id = this.deps.ids.next("upl");
    await mkdir(path.dirname(uploadFile(this.deps, id)), { recursive: true });
    await (await open(uploadFile(this.deps, id), "wx")).close();
    return this.deps.db.imageUpload.create({
      data: { id, accountId: viewer.accountId, sizeBytes: input.sizeBytes == null ? null : BigInt(input.sizeBytes), expiresAt: new Date(this.deps.clock.millis() + this.deps.config.uploadTtlMs) },
    });
  }

  /** The viewer's upload that can still take bytes or be imported, or null. */
  async uploadOf(viewer: Viewer, uploadId: string): Promise<UploadRow | null> {
    return this.deps.db.imageUpload.findFirst({ where: { id: uploadId, accountId: viewer.accountId, operationId: null, expiresAt: { gt: this.deps.clock.now() } } });
  }

  /**
   * Writes `body` into the upload from byte `start`, which must be where it ends now (a resumed
   * upload sends the rest); the upload may not grow past its size or IMPRINT_MAX_UPLOAD_MB.
   * Resolves with the bytes it holds afterwards; what a broken connection delivered is kept.
   */
  async receive(upload: UploadRow, start: number, body: Readable): Promise<number> {
    const received = Number(upload.receivedBytes);
    if (start !== received) throw new UploadRefused(409, `the upload holds ${received} bytes; send from there`, received);
    const bound = upload.sizeBytes === null ? this.deps.config.maxUploadBytes : Number(upload.sizeBytes);
    let written = 0;
    const out = createWriteStream(uploadFile(this.deps, upload.id), { flags: "r+", start });
    let refused: UploadRefused | null = null;
    try {
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            if (received + written + chunk.length > bound) {
              refused = new UploadRefused(413, `the upload may hold at most ${bound} bytes`, received + written);
              throw refused;
            }
            written += chunk.length;
            yield chunk;
          }
        },
        out,
      );
    } catch (error) {
      if (error !== refused) this.deps.log.warn("an upload was cut short; what arrived is kept for a resume", { uploadId: upload.id, bytes: written, error: String(error) });
    } finally {
      // Only what reached the file counts, whoever else wrote meanwhile.
      await this.deps.db.imageUpload.updateMany({ where: { id: upload.id, receivedBytes: upload.receivedBytes }, data: { receivedBytes: BigInt(received + out.bytesWritten) } });
    }
    if (refused) throw refused;
    return received + out.bytesWritten;
  }

  /** Queues IMPORT_TEMPLATE from a complete upload of the viewer's; the file's header is checked now. */
  async import(viewer: Viewer, input: { uploadId: string; name: string; format: ExportFormat; datacenter?: string | null }): Promise<TemplateWithOperation> {
    const name = input.name.trim();
    const problems = new FieldProblems();
    checkName(problems, name);
    if (input.datacenter != null) checkDatacenter(problems, "datacenter", input.datacenter);
    problems.throwIfAny();
    const upload = await this.uploadOf(viewer, input.uploadId);
    if (!upload) throw new NotFoundError("ImageUpload", input.uploadId, "uploadId");
    const received = Number(upload.receivedBytes);
    if (received === 0 || (upload.sizeBytes !== null && received !== Number(upload.sizeBytes))) {
      throw new ConflictError(`the upload holds ${received} of ${upload.sizeBytes ?? "its"} bytes; finish it first`, "INCOMPLETE");
    }
    const header = await this.headerOf(upload.id);
    const recorded = (header.manifest as { configuration?: { datacenter?: string } }).configuration?.datacenter;
    const datacenter = input.datacenter ?? (recorded && findDatacenter(recorded) ? recorded : this.deps.catalog.datacenters[0].code);
    const templateId = this.deps.ids.next("img");
    const { operation } = await this.operations.queue(viewer, { kind: "IMPORT_TEMPLATE", quotas: ["templates", "concurrentOperations"] }, async (tx, operationId) => {
      // An upload is imported once: the first import takes it.
      const taken = await tx.imageUpload.updateMany({ where: { id: upload.id, operationId: null }, data: { operationId } });
      if (taken.count === 0) return new ConflictError("the upload is being imported already", "IMPORTING");
      const clash = await nameTaken(tx, viewer.accountId, name);
      if (clash) return clash;
      await tx.imageTemplate.create({
        data: {
          id: templateId,
          accountId: viewer.accountId,
          globalIdentifier: randomUUID(),
          name,
          note: header.template.note ?? "",
          kind: (header.template.kind === "FLEX" ? "FLEX" : "STANDARD") satisfies ImageTemplateKind,
          status: INITIAL.template,
          datacenters: { create: [{ datacenter }] },
        },
      });
      return { imageTemplateId: templateId, input: { uploadId: upload.id, datacenter } satisfies ImportRun, made: undefined };
    });
    return { imageTemplate: (await this.templates.getOrThrow(viewer, templateId)) as TemplateRow, operation };
  }

  /** The bundle header at the start of an upload; a file that is not a bundle is a BadImageFileError. */
  private async headerOf(uploadId: string): Promise<BundleHeader> {
    const input = createReadStream(uploadFile(this.deps, uploadId));
    try {
      for await (const member of readBundle(input)) if ("header" in member) return member.header;
      throw new BadImageFileError("the upload is not a bundle");
    } catch (error) {
      if (error instanceof BadBundleError) throw new BadImageFileError(`the upload is ${error.message.startsWith("not a bundle") ? "" : "a file imprint cannot read: "}${error.message}`);
      throw error;
    } finally {
      input.destroy();
    }
  }
}

/** Removes the uploads whose time is up and that no import took (the runner's, at each heartbeat). */
export async function removeExpiredUploads(deps: Pick<DomainDeps, "db" | "clock" | "config">): Promise<void> {
  const expired = await deps.db.imageUpload.findMany({ where: { expiresAt: { lte: deps.clock.now() }, operationId: null }, select: { id: true } });
  for (const { id } of expired) {
    await rm(uploadFile(deps, id), { force: true });
    await deps.db.imageUpload.deleteMany({ where: { id, operationId: null } });
  }
}
