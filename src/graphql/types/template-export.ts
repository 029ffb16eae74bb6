// Exporting templates: exportImageTemplate (an EXPORT_TEMPLATE operation) and, once it has
// succeeded, where its file is (Operation.export), downloaded with the account's token.
import { EXPORT_FORMATS } from "../../domain/kernel/index.ts";
import type { SnapshotRow } from "../../domain/operations/index.ts";
import type { Download } from "../../domain/templates/index.ts";
import { EXPORTS_PATH } from "../../http/export-download.ts";
import { fileUrl } from "../../http/paths.ts";
import { builder } from "../builder.ts";
import { parseGlobalId } from "../ids.ts";
import { reads } from "../selected-columns.ts";
import { OPERATION_ERRORS } from "./errors.ts";
import { TemplatePayload } from "./image-template.ts";
import { OperationNode } from "./operation.ts";

const ExportFormatEnum = builder.enumType("ExportFormat", {
  values: EXPORT_FORMATS,
  description: "BUNDLE: the template's manifest and chunks in one versioned file (docs/bundle-format.md), for another imprint to import.",
});

const ExportFileRef = builder.objectRef<Download & { url: string }>("ExportFile").implement({
  description: "An export's file: GET the url with the account's token (Authorization: Bearer …); Range requests resume a download.",
  fields: (t) => ({
    url: t.exposeString("url"),
    sizeBytes: t.field({ type: "ByteCount", resolve: (file) => file.sizeBytes }),
    sha256: t.exposeString("sha256", { description: "Of the whole file." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "Then the file is removed (IMPRINT_EXPORT_TTL_MINUTES after the export)." }),
  }),
});

builder.objectField(OperationNode, "export", (t) =>
  t.field({
    type: ExportFileRef,
    nullable: true,
    description: "The file of a SUCCEEDED EXPORT_TEMPLATE operation, until it expires; null otherwise.",
    extensions: reads<SnapshotRow>("kind"),
    resolve: async (operation, _args, ctx) => {
      if (operation.kind !== "EXPORT_TEMPLATE") return null;
      const download = await ctx.domain.exports.downloadOf(ctx.viewer, operation.id);
      return download && { ...download, url: fileUrl(EXPORTS_PATH, "Operation", operation.id, ctx.request?.url) };
    },
  }),
);

const ExportImageTemplateInput = builder.inputType("ExportImageTemplateInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    format: t.field({ type: ExportFormatEnum, required: true }),
  }),
});

builder.mutationField("exportImageTemplate", (t) =>
  t.field({
    type: TemplatePayload("ExportImageTemplatePayload"),
    description: "Writes one of the viewer's templates into a file (an EXPORT_TEMPLATE operation); Operation.export says where once it has succeeded.",
    errors: { types: OPERATION_ERRORS },
    args: { input: t.arg({ type: ExportImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.exports.export(ctx.viewer, { id: parseGlobalId(String(input.id), "ImageTemplate", "id"), format: input.format }),
  }),
);
