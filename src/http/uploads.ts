// PUT /uploads/<upload ID>: the bytes of a file to import, for the account that made the upload
// (createImageUpload) only, with the same bearer token as /graphql. A resumed upload sends the
// rest with `Content-Range: bytes <start>-<end>/<total or *>`, <start> being what the upload
// holds (HEAD says, in Upload-Offset); a part that starts elsewhere is 409, one past the
// upload's bound 413. Every answer says how many bytes the upload holds.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Domain } from "../domain/index.ts";
import { UploadRefused } from "../domain/templates/index.ts";
import { idInPath, sendJson, viewerOrRefuse } from "./paths.ts";

export const UPLOADS_PATH = "/uploads/";



/** Where a part starts: 0 without Content-Range, its first byte with one; null when it cannot be read. */
function startOf(header: string | undefined): number | null {
  if (header === undefined) return 0;
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  return match && Number(match[2]) >= Number(match[1]) ? Number(match[1]) : null;
}

export function withUploads(domain: Domain, next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (!pathname.startsWith(UPLOADS_PATH)) return next(req, res);
    if (req.method !== "PUT" && req.method !== "HEAD") return sendJson(res, 405, { error: "only PUT and HEAD" }, { allow: "PUT, HEAD" });
    void receive(domain, req, res, pathname).catch((error: Error) => {
      domain.deps.log.error("an upload failed", { error: String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: "the upload failed" });
      else res.destroy();
    });
  };
}

async function receive(domain: Domain, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const viewer = await viewerOrRefuse(domain, req, res);
  if (!viewer) return;
  const uploadId = idInPath(pathname, UPLOADS_PATH, "ImageUpload");
  const upload = uploadId ? await domain.imports.uploadOf(viewer, uploadId) : null;
  // Another account's upload, an expired or imported one and one that never was answer alike.
  if (!upload) return sendJson(res, 404, { error: "no such upload (or it has expired, or was imported)" });
  const offset = (bytes: number | bigint) => ({ "upload-offset": String(bytes) });
  if (req.method === "HEAD") return sendJson(res, 200, {}, offset(upload.receivedBytes));
  const start = startOf(req.headers["content-range"]);
  if (start === null) return sendJson(res, 400, { error: "Content-Range must be bytes <start>-<end>/<total or *>" });
  try {
    const receivedBytes = await domain.imports.receive(upload, start, req);
    sendJson(res, 200, { receivedBytes }, offset(receivedBytes));
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    // The rest of the body is not read: the connection closes after the answer.
    sendJson(res, error.status, { error: error.message, receivedBytes: error.receivedBytes }, { ...offset(error.receivedBytes), connection: "close" });
  }
}
