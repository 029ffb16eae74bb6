// Prometheus metrics at GET /metrics (prom-client, one registry per app): requests by
// operation and outcome with latency, operations by kind and status with durations, bytes
// captured and restored, the image store's size and chunk count, open subscriptions and their
// sources, and refusals by limit. Counts of rows are read when scraped, not kept.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Db } from "../db/client.ts";
import type { DomainMetrics } from "../domain/deps.ts";

export class Metrics implements DomainMetrics {
  readonly registry = new Registry();
  private readonly requests = new Histogram({
    name: "imprint_http_request_duration_seconds",
    help: "HTTP requests by GraphQL operation (root fields) and outcome",
    labelNames: ["operation", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly operations = new Histogram({
    name: "imprint_operation_duration_seconds",
    help: "Finished operations by kind and status",
    labelNames: ["kind", "status"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });
  private readonly bytes = new Counter({ name: "imprint_bytes_total", help: "Bytes of volume data captured and restored", labelNames: ["direction"], registers: [this.registry] });
  private readonly refusals = new Counter({ name: "imprint_refusals_total", help: "Requests refused by a limit", labelNames: ["limit"], registers: [this.registry] });

  constructor(db: Db, subscriptions: () => { open: number; sources: number }) {
    collectDefaultMetrics({ register: this.registry, prefix: "imprint_process_" });
    const readAtScrape = (name: string, help: string, read: () => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(await read());
        },
      });
    readAtScrape("imprint_store_chunks", "Chunks in the image store", () => db.chunk.count());
    readAtScrape("imprint_store_bytes", "Compressed bytes of the chunks in the image store", async () =>
      Number((await db.chunk.aggregate({ _sum: { storedBytes: true } }))._sum.storedBytes ?? 0),
    );
    readAtScrape("imprint_open_subscriptions", "Subscriptions open over SSE and WebSocket", () => subscriptions().open);
    readAtScrape("imprint_subscription_sources", "Sources of the open subscriptions (subscribers of the same subscription share one)", () => subscriptions().sources);
  }

  request(operation: string, outcome: string, seconds: number): void {
    this.requests.observe({ operation, outcome }, seconds);
    const limit = LIMIT_OUTCOMES[outcome];
    if (limit) this.refusals.inc({ limit });
  }

  operationFinished(kind: string, status: string, seconds: number): void {
    this.operations.observe({ kind, status }, seconds);
  }

  bytesMoved(direction: "captured" | "restored", bytes: number): void {
    this.bytes.inc({ direction }, bytes);
  }

  refused(limit: string): void {
    this.refusals.inc({ limit });
  }
}

/** Request outcomes that are a limit's refusal, by the limit's name. */
const LIMIT_OUTCOMES: Record<string, string> = {
  QUERY_TOO_DEEP: "depth",
  TOO_MANY_ALIASES: "aliases",
  TOO_MANY_DIRECTIVES: "directives",
  QUERY_COMPLEXITY: "cost",
  RATE_LIMITED: "rate",
  "http 413": "body",
  "http 411": "body",
  "http 429": "rate",
};
