// GraphiQL at /graphql for browsers, where enabled: rendered once, when first asked for (its
// assets are inlined: about 9 MB, a second of compression that every start, and every test
// app, would otherwise pay), served gzip-compressed with an ETag so a browser revalidates instead of
// downloading it again. The demo token is filled in only for requests from this machine
// (loopback) in development; anyone else gets the page without it.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

interface Page {
  html: Buffer;
  gzip: Buffer;
  etag: string;
}

function render(options: Record<string, unknown>): Page {
  const html = Buffer.from(renderGraphiQL(options));
  return { html, gzip: gzipSync(html), etag: `"${createHash("sha256").update(html).digest("hex").slice(0, 32)}"` };
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** Serves the page from node's own response (a 9 MB body is better not streamed through the fetch adapter). */
export function withGraphiQLPage(
  path: string,
  options: { title: string; defaultQuery: string; loopbackToken?: string },
  next: RequestListener,
): RequestListener {
  let plain: Page | undefined;
  let withToken: Page | undefined;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" || !req.headers.accept?.includes("text/html") || (req.url ?? "").split("?")[0] !== path) return next(req, res);
    const token = options.loopbackToken && LOOPBACK.has(req.socket.remoteAddress ?? "") ? options.loopbackToken : null;
    const page = token
      ? (withToken ??= render({ title: options.title, defaultQuery: options.defaultQuery, headers: JSON.stringify({ Authorization: `Bearer ${token}` }) }))
      : (plain ??= render({ title: options.title, defaultQuery: options.defaultQuery }));
    const headers: Record<string, string | number> = {
      "content-type": "text/html; charset=utf-8",
      etag: page.etag,
      vary: "Accept-Encoding",
      // The page with a token is for this browser only; the other one may be shared.
      "cache-control": page === plain ? "public, max-age=300" : "private, no-cache",
    };
    if (req.headers["if-none-match"] === page.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? page.gzip : page.html;
    res.writeHead(200, { ...headers, ...(gzip ? { "content-encoding": "gzip" } : {}), "content-length": body.length });
    res.end(body);
  };
}
