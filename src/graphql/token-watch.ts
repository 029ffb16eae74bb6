// A revoked or expired token stops at once, also where it holds a subscription open (SSE or
// WebSocket): the subscription gets a last event with an UNAUTHENTICATED error saying why, and
// ends. Revocations arrive on the event bus (from this instance or another); expiries are
// found by one timer for the whole server, not one per subscriber.
import type { Plugin } from "graphql-yoga";
import { GraphQLError, type ExecutionResult } from "graphql";
import { Repeater } from "graphql-yoga";
import type { Viewer } from "../domain/index.js";
import type { EventBus } from "../domain/operations/index.js";
import type { Clock } from "../domain/kernel/index.js";

const EXPIRY_SWEEP_MS = 1000;

type End = (reason: string) => void;

export interface TokenWatch {
  plugin: Plugin<{ viewer?: Viewer }>;
  /** Subscriptions open now. */
  openCount(): number;
  close(): void;
}

export function createTokenWatch(events: EventBus, clock: Clock): TokenWatch {
  const open = new Map<string, Set<End>>();
  const expiring = new Map<End, number>();
  const unsubscribe = events.onTokenRevoked((tokenId) => {
    for (const end of open.get(tokenId) ?? []) end("the token was revoked");
  });
  const sweep = setInterval(() => {
    const now = clock.millis();
    for (const [end, at] of expiring) if (at <= now) end("the token expired");
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
          if (Symbol.asyncIterator in result) setResult(endWhenTokenStops(result as AsyncIterable<ExecutionResult>, (end) => register(viewer, end)));
        },
      };
    },
  };

  return {
    plugin,
    openCount: () => [...open.values()].reduce((sum, ends) => sum + ends.size, 0),
    close() {
      unsubscribe();
      clearInterval(sweep);
    },
  };
}

function endWhenTokenStops(source: AsyncIterable<ExecutionResult>, register: (end: End) => () => void): AsyncIterableIterator<ExecutionResult> {
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const iterator = source[Symbol.asyncIterator]();
    let ended = false;
    const unregister = register((reason) => {
      if (ended) return;
      ended = true;
      void push({ errors: [new GraphQLError(`subscription ended: ${reason}`, { extensions: { code: "UNAUTHENTICATED" } })] }).then(() => stop());
    });
    void stop.then(() => {
      unregister();
      void iterator.return?.();
    });
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stop.then(() => ({ done: true, value: undefined }) as const)]);
        if (next.done || ended) break;
        await push(next.value);
      }
      if (!ended) stop();
    } catch (error) {
      stop(error);
    }
  });
}
