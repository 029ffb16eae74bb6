// GraphiQL at /graphql for browsers, where enabled: rendered once (its assets are inlined:
// about 9 MB), served gzip-compressed with an ETag so a browser revalidates instead of
// downloading it again. The demo token is filled in only for requests from this machine
// (loopback) in development; anyone else gets the page without it.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { Plugin } from "graphql-yoga";

interface Page {
  html: Buffer;
  gzip: Buffer;
  etag: string;
}

function render(options: Record<string, unknown>): Page {
  const html = Buffer.from(renderGraphiQL(options));
  return { html, gzip: gzipSync(html, { level: 9 }), etag: `"${createHash("sha256").update(html).digest("hex").slice(0, 32)}"` };
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

export function useGraphiQLPage(path: string, options: { title: string; defaultQuery: string; loopbackToken?: string }): Plugin {
  const plain = render({ title: options.title, defaultQuery: options.defaultQuery });
  const withToken = options.loopbackToken
    ? render({ title: options.title, defaultQuery: options.defaultQuery, headers: JSON.stringify({ Authorization: `Bearer ${options.loopbackToken}` }) })
    : null;
  return {
    onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (request.method !== "GET" || !request.headers.get("accept")?.includes("text/html") || url.pathname !== path) return;
      const address = (serverContext as { req?: { socket?: { remoteAddress?: string } } }).req?.socket?.remoteAddress ?? "";
      const page = withToken && LOOPBACK.has(address) ? withToken : plain;
      const headers: Record<string, string> = {
        "content-type": "text/html; charset=utf-8",
        etag: page.etag,
        vary: "Accept-Encoding",
        // The page with a token is for this browser only; the other one may be shared.
        "cache-control": page === plain ? "public, max-age=300" : "private, no-cache",
      };
      if (request.headers.get("if-none-match") === page.etag) return endResponse(new fetchAPI.Response(null, { status: 304, headers }));
      const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
      if (gzip) headers["content-encoding"] = "gzip";
      endResponse(new fetchAPI.Response(new Uint8Array(gzip ? page.gzip : page.html), { status: 200, headers }));
    },
  };
}
