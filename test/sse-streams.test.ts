// Subscriptions over Server-Sent Events as bytes on the wire (graphql/sse-streams.ts): the
// format graphql-sse's clients read, the pings that keep an idle stream open through proxies,
// and the end of the subscription when its client goes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { createServer, OPERATION_PROGRESS } from "./helpers/documents.ts";
import { until } from "./helpers/wait.ts";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { IMPRINT_SSE_PING_MS: "100" } });
});
afterAll(async () => {
  await t.stop();
});

function openStream(query: string, variables: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
  return fetch(t.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${t.client.token}` },
    body: JSON.stringify({ query, variables }),
    signal,
  });
}

/** Reads a stream's text until `enough` says so (or the stream ends). */
async function readUntil(response: Response, enough: (text: string) => boolean): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
    if (enough(text)) {
      await reader.cancel();
      return text;
    }
  }
}

async function openSubscriptions(): Promise<number> {
  const text = await (await fetch(new URL("/metrics", t.url))).text();
  return Number(/^imprint_open_subscriptions (\d+)$/m.exec(text)?.[1]);
}

describe("a subscription over Server-Sent Events", () => {
  it("is a comment first, then one `event: next` per state, and `event: complete` after the last", async () => {
    const { operation } = await createServer(t.client, { hostname: "sse01" });
    const response = await openStream(OPERATION_PROGRESS, { id: operation.id }, AbortSignal.timeout(60_000));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await readUntil(response, () => false);

    expect(text.startsWith(":\n\n")).toBe(true);
    expect(text.endsWith("event: complete\ndata:\n\n")).toBe(true);
    const frames = text.split("\n\n").filter((frame) => frame.startsWith("event: next\n"));
    const statuses = frames.map((frame) => {
      const [, data] = /^event: next\ndata: (.*)$/s.exec(frame)!;
      return JSON.parse(data).data.operationProgress.status;
    });
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe("SUCCEEDED");
  });

  it("gets a comment every IMPRINT_SSE_PING_MS while nothing happens", async () => {
    const aborted = new AbortController();
    try {
      const response = await openStream(`subscription { operationEvents { id } }`, {}, aborted.signal);
      // The first comment is sent at once; the others come from the ping.
      const text = await readUntil(response, (read) => read.split(":\n\n").length - 1 >= 3);
      expect(text).toBe(":\n\n:\n\n:\n\n");
    } finally {
      aborted.abort();
    }
  });

  it("ends when its client goes", async () => {
    // Streams of the other tests may still be closing.
    await until(async () => (await openSubscriptions()) === 0, "no subscription open");
    const aborted = new AbortController();
    const response = await openStream(`subscription { operationEvents { id } }`, {}, aborted.signal);
    await response.body!.getReader().read();
    await until(async () => (await openSubscriptions()) === 1, "the subscription open");
    aborted.abort();
    await until(async () => (await openSubscriptions()) === 0, "the subscription ended with its stream");
  });
});
