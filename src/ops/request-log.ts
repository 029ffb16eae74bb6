// One log line per HTTP request (request ID, account, operation name, duration, outcome),
// and the request ID on the response (X-Request-Id) and on any masked error. The ID travels
// through the request's async work in an AsyncLocalStorage, so error masking and the GraphQL
// layer can add to the request's line without passing it around.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../domain/deps.js";

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

const current = new AsyncLocalStorage<RequestFacts>();

/** The facts of the request being handled (undefined outside one, e.g. on a WebSocket). */
export function requestFacts(): RequestFacts | undefined {
  return current.getStore();
}

const SANE_ID = /^[A-Za-z0-9._-]{8,128}$/;

export function withRequestLog(log: Logger, next: RequestListener, done?: RequestDone): RequestListener {
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
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        accountId: facts.accountId,
        operationName: facts.operationName,
        outcome: facts.outcome ?? (res.statusCode < 400 ? "ok" : `http ${res.statusCode}`),
      });
    });
    current.run(facts, () => next(req, res));
  };
}
