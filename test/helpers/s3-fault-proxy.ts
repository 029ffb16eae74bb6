// A real HTTP hop in front of the run's Swift that can misbehave on request, for the S3
// store's fault tests: answer 503 SlowDown to the next N requests (throttling), to all of them
// (a store that stays down), or hold requests without answering (a timeout). Everything else
// is passed through unchanged; requests are counted.
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Mode = { kind: "pass" } | { kind: "throttle"; left: number } | { kind: "down" } | { kind: "downAfterPuts"; left: number } | { kind: "hang" };

const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`;

export class S3FaultProxy {
  /** Requests that reached the proxy, answered or not. */
  requests = 0;
  /** PUT requests among them (object writes). */
  puts = 0;
  private mode: Mode = { kind: "pass" };
  private readonly held = new Set<ServerResponse>();
  private server!: Server;
  private readonly target: URL;
  url = "";

  constructor(target: string) {
    this.target = new URL(target);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next `n` requests get 503 SlowDown. */
  throttle(n: number): void {
    this.mode = { kind: "throttle", left: n };
  }

  /** Passes `n` more PUTs (and whatever comes between), then is down. */
  downAfterPuts(n: number): void {
    this.mode = { kind: "downAfterPuts", left: n };
  }

  down(): void {
    this.mode = { kind: "down" };
  }

  hang(): void {
    this.mode = { kind: "hang" };
  }

  pass(): void {
    this.mode = { kind: "pass" };
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  async stop(): Promise<void> {
    this.pass();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    if (req.method === "PUT") this.puts++;
    const mode = this.mode;
    if (mode.kind === "downAfterPuts" && req.method === "PUT" && mode.left-- <= 0) this.mode = { kind: "down" };
    if (mode.kind === "hang") {
      this.held.add(res);
      req.resume();
      return;
    }
    if (this.mode.kind === "down" || (mode.kind === "throttle" && mode.left-- > 0)) {
      req.resume();
      req.on("end", () => res.writeHead(503, { "content-type": "application/xml" }).end(SLOW_DOWN));
      return;
    }
    const upstream = forward(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }
}
