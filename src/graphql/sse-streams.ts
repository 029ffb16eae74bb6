// Subscriptions over Server-Sent Events, written through a Node stream.
//
// yoga's own SSE processor pulls each event through a WHATWG ReadableStream: two enqueues, two
// TextEncoder calls and a chain of promise helpers per event and subscriber, and a ping timer
// per stream. With 10,000 followers of one operation that was about a third of the server's
// CPU per delivery (bench/findings.md). This processor writes the same wire format (yoga's,
// graphql-sse's "distinct connections" mode): a comment first, so that browsers see the
// headers at once; `event: next` for each result; `event: complete` at the end. A result that
// many subscribers share is encoded once, and one timer pings every open stream.
import { Readable } from "node:stream";
import type { ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

const PING = Buffer.from(":\n\n");
const COMPLETE = Buffer.from("event: complete\ndata:\n\n");
const FRAME = Symbol("sseFrame");

type Framed = ExecutionResult & { [FRAME]?: Buffer; stringify?: (value: unknown) => string };

export function useSseStreams(pingMs: number): Plugin {
  const open = new Set<Readable>();
  let pings: NodeJS.Timeout | null = null;

  function track(stream: Readable): void {
    open.add(stream);
    pings ??= setInterval(() => {
      // A stream whose client does not read keeps its buffer: it is not pinged on top of it.
      for (const each of open) if (each.readableLength === 0) each.push(PING);
    }, pingMs).unref();
    stream.once("close", () => {
      open.delete(stream);
      if (open.size === 0 && pings) {
        clearInterval(pings);
        pings = null;
      }
    });
  }

  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable<ExecutionResult>(result) || !request.headers.get("accept")?.includes("text/event-stream")) return;
      setResultProcessor((iterable, fetchAPI) => {
        const stream = eventStream((iterable as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]());
        track(stream);
        return new fetchAPI.Response(stream as unknown as BodyInit, {
          status: 200,
          headers: { "content-type": "text/event-stream", connection: "keep-alive", "cache-control": "no-cache", "content-encoding": "none" },
        });
      }, "text/event-stream");
    },
  };
}

/** The events of one subscription as the bytes of an event stream; read only as fast as its client takes them. */
function eventStream(iterator: AsyncIterator<ExecutionResult>): Readable {
  let pulling = false;
  const stream = new Readable({
    read() {
      if (pulling) return;
      pulling = true;
      iterator.next().then(
        (next) => {
          pulling = false;
          if (next.value != null) stream.push(frameOf(next.value));
          if (next.done) {
            stream.push(COMPLETE);
            stream.push(null);
          }
        },
        (error: unknown) => stream.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      // The client went (or the source failed): the subscription ends with its stream.
      Promise.resolve(iterator.return?.()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  stream.push(PING);
  return stream;
}

/** A result's `event: next` frame, made once per result object however many streams write it. */
function frameOf(result: Framed): Buffer {
  if (result[FRAME]) return result[FRAME];
  const text = (result.stringify ?? JSON.stringify)(withoutInternals(result));
  const frame = Buffer.from(`event: next\ndata: ${text}\n\n`);
  Object.defineProperty(result, FRAME, { value: frame, enumerable: false });
  return frame;
}

/**
 * What yoga leaves out of a streamed result (as its own processors do): the `http` extension
 * (status and headers for a plain response: a stream has sent its own) and `unexpected`.
 */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length && !result.extensions?.http) return result;
  const { http: _http, ...extensions } = result.extensions ?? {};
  return {
    ...result,
    errors: result.errors?.map((error) => {
      const json = typeof error.toJSON === "function" ? error.toJSON() : error;
      const { http: _status, unexpected: _unexpected, ...rest } = json.extensions ?? {};
      return { ...json, extensions: Object.keys(rest).length ? rest : undefined } as never;
    }),
    extensions: Object.keys(extensions).length ? extensions : undefined,
  };
}
