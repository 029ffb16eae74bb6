// The address of the client behind a request: the peer of the connection, or, when that peer
// is a proxy imprint trusts (IMPRINT_TRUSTED_PROXIES, e.g. HAProxy's address), the address the
// proxy says it was for (X-Forwarded-For, read from the right: the nearest address that is not
// a trusted proxy). Without trusted proxies the header is ignored: any client could send it.
import type { IncomingMessage } from "node:http";

/** IPv4 peers come as "::ffff:a.b.c.d" on a dual-stack socket. */
const plain = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");

export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string | undefined {
  const peer = req.socket.remoteAddress && plain(req.socket.remoteAddress);
  if (!peer || !trustedProxies.has(peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((hop) => plain(hop.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.has(hops[i])) return hops[i];
  return hops[0] ?? peer;
}
