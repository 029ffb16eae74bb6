// What the file endpoints share: the IDs in their paths, the URLs the API gives for them,
// their JSON answers, and the caller's token, the same as /graphql's.
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { Domain, Viewer } from "../domain/index.ts";
import { bearerToken } from "../graphql/auth.ts";

/** The raw ID of a `typename` global ID that follows `prefix` in the path, or null. */
export function idInPath(pathname: string, prefix: string, typename: string): string | null {
  try {
    const decoded = decodeGlobalID(decodeURIComponent(pathname.slice(prefix.length)));
    return decoded.typename === typename ? decoded.id : null;
  } catch {
    return null;
  }
}

/** The URL of the file endpoint for an object: absolute against the address the client used, a path where there was none. */
export function fileUrl(prefix: string, typename: string, id: string, requestUrl: string | undefined): string {
  const path = `${prefix}${encodeURIComponent(encodeGlobalID(typename, id))}`;
  return requestUrl && /^https?:/.test(requestUrl) ? new URL(path, requestUrl).href : path;
}

export function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

/** The caller by its bearer token; without a valid one, the 401 is sent and null returned. */
export async function viewerOrRefuse(domain: Domain, req: IncomingMessage, res: ServerResponse): Promise<Viewer | null> {
  const viewer = await domain.accounts.authenticate(bearerToken(req.headers.authorization));
  if (!viewer) sendJson(res, 401, { error: "Authentication required: send Authorization: Bearer <token>" }, { "www-authenticate": 'Bearer realm="imprint"' });
  return viewer;
}
