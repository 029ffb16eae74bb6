// A request body limit suited to GraphQL, checked before yoga reads the body: a declared
// length above the limit gets 413; a POST that does not declare its length gets 411 (every
// GraphQL client sends Content-Length; a chunked body could only be bounded by reading it).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

export function withBodyLimit(maxBytes: number, next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBytes) {
      refuse(res, 413, "PAYLOAD_TOO_LARGE", `The request body is larger than ${maxBytes} bytes (IMPRINT_MAX_BODY_BYTES)`);
      return;
    }
    if (declared === undefined && req.headers["transfer-encoding"] !== undefined) {
      refuse(res, 411, "LENGTH_REQUIRED", "Send the request body with a Content-Length header");
      return;
    }
    next(req, res);
  };
}
