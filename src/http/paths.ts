// The IDs in the paths of the file endpoints, and the URLs the API gives for them.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";

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
