// Importing templates: createImageUpload (where to PUT the file), importImageTemplate (an
// IMPORT_TEMPLATE operation from a complete upload), and the error of a file it cannot import.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { BadImageFileError, EXPORT_FORMATS } from "../../domain/kernel/index.ts";
import { fileUrl } from "../../http/paths.ts";
import { UPLOADS_PATH } from "../../http/uploads.ts";
import type { UploadRow } from "../../domain/templates/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { parseGlobalId } from "../ids.ts";
import { ErrorInterface, MUTATION_ERRORS, OPERATION_ERRORS } from "./errors.ts";
import { TemplatePayload } from "./image-template.ts";

builder.objectType(BadImageFileError, {
  name: "BadImageFileError",
  description: "The uploaded file cannot be imported: not a bundle, a bundle of a newer version, one cut short; the message says which.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof BadImageFileError,
  fields: () => ({}),
});

const CreateImageUploadInput = builder.inputType("CreateImageUploadInput", {
  fields: (t) => ({
    sizeBytes: t.field({ type: "ByteCount", required: false, description: "The file's size, when known: the upload may not grow past it, and an import waits for all of it. At most IMPRINT_MAX_UPLOAD_MB." }),
  }),
});

const ImageUploadNode = builder.loadableNode("ImageUpload", {
  description: "A file being uploaded to import (createImageUpload), until it is imported or expires.",
  id: { resolve: (upload: UploadRow) => upload.id },
  isTypeOf: (value) => typeof (value as { id?: unknown }).id === "string" && (value as { id: string }).id.startsWith("upl_"),
  loaderOptions: UNCACHED_LOADS,
  load: async (ids: string[], ctx) => (await Promise.all(ids.map((id) => ctx.domain.imports.uploadOf(ctx.viewer, id)))) as UploadRow[],
  fields: (t) => ({
    sizeBytes: t.field({ type: "ByteCount", nullable: true, description: "As announced at creation.", resolve: (upload) => upload.sizeBytes }),
    receivedBytes: t.field({ type: "ByteCount", description: "What it holds: a resumed upload sends from here.", resolve: (upload) => upload.receivedBytes }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

const CreateImageUploadPayload = builder.objectRef<{ upload: UploadRow; url: string }>("CreateImageUploadPayload").implement({
  fields: (t) => ({
    uploadId: t.id({ resolve: (p) => encodeGlobalID("ImageUpload", p.upload.id) }),
    upload: t.field({ type: ImageUploadNode, resolve: (p) => p.upload }),
    url: t.exposeString("url", { description: "PUT the file here with the account's token; resume with Content-Range from HEAD's Upload-Offset." }),
  }),
});

builder.mutationField("createImageUpload", (t) =>
  t.field({
    type: CreateImageUploadPayload,
    description: "A place to upload a file to import; it waits IMPRINT_UPLOAD_TTL_MINUTES for its import.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateImageUploadInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const upload = await ctx.domain.imports.createUpload(ctx.viewer, { sizeBytes: input.sizeBytes == null ? null : Number(input.sizeBytes) });
      return { upload, url: fileUrl(UPLOADS_PATH, "ImageUpload", upload.id, ctx.request?.url) };
    },
  }),
);

const ImportImageTemplateInput = builder.inputType("ImportImageTemplateInput", {
  fields: (t) => ({
    uploadId: t.id({ required: true }),
    name: t.string({ required: true, description: "Unique in the account, 1 to 100 characters." }),
    format: t.field({ type: builder.enumType("ImportFormat", { values: EXPORT_FORMATS, description: "BUNDLE: a file exportImageTemplate made (docs/bundle-format.md)." }), required: true }),
    datacenter: t.string({ required: false, description: "Where the template is stored and deployable. Default: the datacenter it was captured in, when this imprint has it; else the first." }),
  }),
});

builder.mutationField("importImageTemplate", (t) =>
  t.field({
    type: TemplatePayload("ImportImageTemplatePayload"),
    description: "Makes a template of a complete upload (an IMPORT_TEMPLATE operation): every chunk checked against its name, every volume against its digest, then ACTIVE.",
    errors: { types: [...OPERATION_ERRORS, BadImageFileError] },
    args: { input: t.arg({ type: ImportImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.domain.imports.import(ctx.viewer, { uploadId: parseGlobalId(String(input.uploadId), "ImageUpload", "uploadId"), name: input.name, format: input.format, datacenter: input.datacenter }),
  }),
);
