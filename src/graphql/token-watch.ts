// A revoked or expired token stops at once, also where it holds a subscription open (SSE or
// WebSocket): the subscription gets a last event with an UNAUTHENTICATED error saying why, and
// ends. Revocations arrive on the event bus (from this instance or another); expiries are
// found by one timer for the whole server, not one per subscriber. The same way, a server
// that shuts down ends every open subscription with a RESUBSCRIBE error (endAll), so that a
// client behind a load balancer subscribes again and reaches another instance.
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { GraphQLError, type ExecutionResult } from "graphql";
import type { Viewer } from "../domain/index.ts";
import type { EventBus } from "../domain/operations/index.ts";
import type { Clock } from "../domain/kernel/index.ts";

const EXPIRY_SWEEP_MS = 1000;

type End = (reason: string, code: string) => void;

export interface TokenWatch {
  plugin: Plugin<{ viewer?: Viewer }>;
  /** Subscriptions open now. */
  openCount(): number;
  /** Ends every open subscription with a last error event of this code and message. */
  endAll(message: string, code: string): void;
  close(): void;
}

export function createTokenWatch(events: EventBus, clock: Clock): TokenWatch {
  const open = new Map<string, Set<End>>();
  const expiring = new Map<End, number>();
  const unsubscribe = events.onTokenRevoked((tokenId) => {
    for (const end of open.get(tokenId) ?? []) end("the token was revoked", "UNAUTHENTICATED");
  });
  const sweep = setInterval(() => {
    const now = clock.millis();
    for (const [end, at] of expiring) if (at <= now) end("the token expired", "UNAUTHENTICATED");
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  function register(viewer: Viewer, end: End): () => void {
    const ends = open.get(viewer.tokenId) ?? new Set<End>();
    ends.add(end);
    open.set(viewer.tokenId, ends);
    if (viewer.expiresAt) expiring.set(end, viewer.expiresAt.getTime());
    return () => {
      ends.delete(end);
      if (ends.size === 0) open.delete(viewer.tokenId);
      expiring.delete(end);
    };
  }

  const plugin: Plugin<{ viewer?: Viewer }> = {
    onSubscribe({ args }) {
      const viewer = args.contextValue.viewer;
      if (!viewer) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable<ExecutionResult>(result)) setResult(endWhenTokenStops(result, (end) => register(viewer, end)));
        },
      };
    },
  };

  return {
    plugin,
    openCount: () => [...open.values()].reduce((sum, ends) => sum + ends.size, 0),
    endAll(message, code) {
      for (const ends of [...open.values()]) for (const end of [...ends]) end(message, code);
    },
    close() {
      unsubscribe();
      clearInterval(sweep);
    },
  };
}

/**
 * The subscription's events until the token stops; then one last event saying why, and the
 * end. A thin iterator rather than a Repeater: it costs one promise per event, and with
 * thousands of subscribers every event passes through it thousands of times.
 */
function endWhenTokenStops(source: AsyncIterable<ExecutionResult>, register: (end: End) => () => void): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let state: "open" | "ending" | "done" = "open";
  let lastEvent: ExecutionResult | null = null;
  /** The consumer's pending next(), if it is waiting. */
  let waiting: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  const finish = () => {
    if (state === "done") return;
    state = "done";
    unregister();
  };
  const unregister = register((reason, code) => {
    if (state !== "open") return;
    const event = { errors: [new GraphQLError(`subscription ended: ${reason}`, { extensions: { code } })] };
    void iterator.return?.();
    if (waiting) {
      const wake = waiting;
      waiting = null;
      finish();
      wake({ value: event, done: false });
    } else {
      state = "ending";
      lastEvent = event;
    }
  });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next(): Promise<IteratorResult<ExecutionResult>> {
      if (state === "done") return Promise.resolve({ value: undefined, done: true });
      if (state === "ending") {
        finish();
        return Promise.resolve({ value: lastEvent!, done: false });
      }
      return new Promise((resolve, reject) => {
        waiting = resolve;
        iterator.next().then(
          (result) => {
            if (waiting !== resolve) return; // the token stopped meanwhile: already answered
            waiting = null;
            if (result.done) finish();
            resolve(result);
          },
          (error) => {
            if (waiting !== resolve) return;
            waiting = null;
            finish();
            reject(error);
          },
        );
      });
    },
    async return() {
      finish();
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      finish();
      await iterator.return?.();
      throw error;
    },
  };
}
