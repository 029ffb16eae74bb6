// One log line per HTTP request (request ID, account, operation name, duration, outcome),
// and the request ID on the response (X-Request-Id) and on any masked error. The GraphQL
// layer finds the request's facts through the request object it is given (yoga puts it in
// the context as `req`). Not an AsyncLocalStorage: on Node 20 that turns on promise hooks for
// every promise in the process, and the read path went from about 560 to 680 requests/s
// without it (bench/findings.md).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../domain/deps.ts";
import { clientAddress } from "./client-address.ts";

export interface RequestFacts {
  requestId: string;
  accountId?: string;
  operationName?: string;
  /** ok, or the first error code of the answer. */
  outcome?: string;
  /** The operation type and root fields, e.g. "query servers" (a bounded metrics label). */
  rootFields?: string;
}

/** Told of every finished request (metrics). */
export type RequestDone = (facts: RequestFacts, status: number, seconds: number) => void;

const factsByRequest = new WeakMap<IncomingMessage, RequestFacts>();

/**
 * The facts of the HTTP request a GraphQL context belongs to (undefined for a WebSocket's
 * messages, which are not HTTP requests).
 */
export function requestFactsOf(context: unknown): RequestFacts | undefined {
  const req = (context as { req?: IncomingMessage } | null | undefined)?.req;
  return req ? factsByRequest.get(req) : undefined;
}

const SANE_ID = /^[A-Za-z0-9._-]{8,128}$/;

export function withRequestLog(log: Logger, next: RequestListener, done?: RequestDone, trustedProxies: ReadonlySet<string> = new Set()): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const offered = req.headers["x-request-id"];
    const facts: RequestFacts = { requestId: typeof offered === "string" && SANE_ID.test(offered) ? offered : randomUUID() };
    const started = process.hrtime.bigint();
    res.setHeader("x-request-id", facts.requestId);
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      done?.(facts, res.statusCode, seconds);
      log.info("request", {
        requestId: facts.requestId,
        method: req.method,
        path: (req.url ?? "/").split("?")[0],
        client: clientAddress(req, trustedProxies),
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        accountId: facts.accountId,
        operationName: facts.operationName,
        outcome: facts.outcome ?? (res.statusCode < 400 ? "ok" : `http ${res.statusCode}`),
      });
    });
    factsByRequest.set(req, facts);
    next(req, res);
  };
}
