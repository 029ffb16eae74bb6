// The operator's endpoints beside /graphql, answered before any GraphQL handling (and
// without a token: they tell nothing about accounts).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Readiness } from "./health.ts";

export interface OperatorEndpoints {
  readiness(): Promise<Readiness>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export function withOperatorEndpoints(endpoints: OperatorEndpoints, next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && pathname === "/healthz") return json(res, 200, { status: "ok", node: process.version });
    if (req.method === "GET" && pathname === "/readyz") {
      void endpoints.readiness().then(
        ({ ready, checks }) => json(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks }),
        (error: Error) => json(res, 503, { status: "not ready", checks: { readiness: error.message } }),
      );
      return;
    }
    if (req.method === "GET" && pathname === "/metrics") {
      void endpoints.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
          res.end(body);
        },
        (error: Error) => json(res, 500, { error: error.message }),
      );
      return;
    }
    next(req, res);
  };
}
