// GET /exports/<operation ID>: the file an EXPORT_TEMPLATE operation made, for its account
// only (the same bearer token as /graphql: no token, no file), with Range requests so that a
// download can resume (RFC 9110; one range per request), until the export expires.
import { createReadStream } from "node:fs";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import parseRange from "range-parser";
import type { Domain } from "../domain/index.ts";
import { idInPath, sendJson, viewerOrRefuse } from "./paths.ts";

export const EXPORTS_PATH = "/exports/";

const refuse = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => sendJson(res, status, { error: message }, headers);

export function withExportDownloads(domain: Domain, next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (!pathname.startsWith(EXPORTS_PATH)) return next(req, res);
    if (req.method !== "GET" && req.method !== "HEAD") return refuse(res, 405, "only GET and HEAD", { allow: "GET, HEAD" });
    void serve(domain, req, res).catch((error: Error) => {
      domain.deps.log.error("export download failed", { error: String(error) });
      if (!res.headersSent) refuse(res, 500, "the download failed");
      else res.destroy();
    });
  };
}

async function serve(domain: Domain, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const viewer = await viewerOrRefuse(domain, req, res);
  if (!viewer) return;
  const operationId = idInPath((req.url ?? "/").split("?")[0], EXPORTS_PATH, "Operation");
  const download = operationId ? await domain.exports.downloadOf(viewer, operationId) : null;
  // Another account's export, an expired one and one that never was answer alike.
  if (!download) return refuse(res, 404, "no such export (or it has expired)");
  const size = download.sizeBytes;
  const headers: Record<string, string> = {
    "content-type": "application/x-tar",
    "content-disposition": `attachment; filename="${download.fileName}"`,
    "accept-ranges": "bytes",
    etag: `"${download.sha256}"`,
    "cache-control": "private, no-store",
  };
  const ranges = req.headers.range ? parseRange(size, req.headers.range, { combine: true }) : null;
  if (ranges === -1) return refuse(res, 416, `the range is past the end (${size} bytes)`, { "content-range": `bytes */${size}` });
  // A malformed Range header, or several ranges: the whole file (RFC 9110 allows ignoring it).
  const range = Array.isArray(ranges) && ranges.length === 1 && ranges.type === "bytes" && (!req.headers["if-range"] || req.headers["if-range"] === headers.etag) ? ranges[0] : null;
  const [start, end] = range ? [range.start, range.end] : [0, size - 1];
  res.writeHead(range ? 206 : 200, { ...headers, "content-length": String(size === 0 ? 0 : end - start + 1), ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === "HEAD" || size === 0) return void res.end();
  await pipeline(createReadStream(download.path, { start, end }), res);
}
