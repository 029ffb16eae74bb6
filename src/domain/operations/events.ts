// The one event port. Operation snapshots are published here after every change and
// read by subscriptions. Events travel over a transport: an in-process EventTarget by
// default; Redis (src/redis/event-transport.ts) makes it a bus between instances without
// touching the domain. Payloads are plain JSON for that reason.
import { setMaxListeners } from "node:events";
import { Repeater, SlidingBuffer, type PubSubEventTarget } from "graphql-yoga";
import type { OperationSnapshot } from "./operation-snapshot.ts";

/** In a subscription's stream: events may have been lost here (the transport reconnected). */
export const EVENTS_LOST = Symbol("events lost");
export type OperationChange = OperationSnapshot | typeof EVENTS_LOST;

export interface EventBus {
  publishOperation(snapshot: OperationSnapshot): void;
  /** A token was revoked: whatever it has open must end. */
  publishTokenRevoked(tokenId: string): void;
  onTokenRevoked(listener: (tokenId: string) => void): () => void;
  /** The operation's changes from now on, and EVENTS_LOST where some may be missing. */
  operationChanges(operationId: string): AsyncIterableIterator<OperationChange>;
  accountOperationChanges(accountId: string): AsyncIterableIterator<OperationChange>;
  /** Resolves once every subscription made so far hears what is published from then on. */
  settled(): Promise<void>;
  /** Why events cannot travel now (their transport is unreachable), or null. */
  problem(): string | null;
}

export type OperationEventTarget = PubSubEventTarget<Record<string, [OperationSnapshot]>>;

/** What carries the events, and what it knows of its own state. */
export interface EventTransport {
  target: OperationEventTarget;
  /** Resolves once every listener added so far hears what is published from then on. */
  settled(): Promise<void>;
  /** Calls `listener` when events may have been lost (after a reconnect); returns how to stop. */
  onEventsLost(listener: () => void): () => void;
  /** Why it cannot carry events now, or null. */
  problem(): string | null;
}

/** Many subscribers to one operation are normal: no "possible leak" warning past 10. */
function unlimitedEventTarget(): OperationEventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target as OperationEventTarget;
}

/** Events within this process: nothing is ever lost, and a listener hears at once. */
export function inProcessTransport(target: OperationEventTarget = unlimitedEventTarget()): EventTransport {
  return { target, settled: async () => undefined, onEventsLost: () => () => undefined, problem: () => null };
}

/**
 * Events a slow subscriber has not read yet. Older progress is dropped first, never the
 * newest, so the terminal state always arrives. (graphql-yoga's createPubSub shares one
 * buffer among all subscribers, so each subscriber gets its own here.)
 */
export const SUBSCRIBER_BUFFER = 64;

export function createEventBus(transport: EventTransport = inProcessTransport()): EventBus {
  const eventTarget = transport.target;
  const publish = (topic: string, snapshot: OperationSnapshot) =>
    eventTarget.dispatchEvent(new CustomEvent(topic, { detail: snapshot }));

  // Listening starts when the subscription is made, not at its first read: a Repeater runs
  // its executor at the first next(), and a caller that subscribes, reads the current state
  // and then iterates would lose what was published in between (follow() does exactly that).
  const subscribe = (topic: string): AsyncIterableIterator<OperationChange> => {
    const early: OperationChange[] = [];
    let push: ((change: OperationChange) => void) | null = null;
    const hear = (change: OperationChange) => {
      if (push) push(change);
      else if (early.push(change) > SUBSCRIBER_BUFFER) early.shift();
    };
    const listener = (event: CustomEvent<OperationSnapshot>) => hear(event.detail);
    eventTarget.addEventListener(topic, listener);
    const stopHearingLosses = transport.onEventsLost(() => hear(EVENTS_LOST));
    const stopListening = () => {
      eventTarget.removeEventListener(topic, listener);
      stopHearingLosses();
    };
    const changes = new Repeater<OperationChange>(async (repeaterPush, stop) => {
      push = (change) => void repeaterPush(change);
      for (const change of early.splice(0)) push(change);
      await stop;
      stopListening();
    }, new SlidingBuffer(SUBSCRIBER_BUFFER));
    return {
      next: () => changes.next(),
      // Also when it never started (its executor would not run to remove the listener).
      return: async () => {
        stopListening();
        return changes.return();
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };

  return {
    publishOperation(snapshot) {
      publish(`operation:${snapshot.id}`, snapshot);
      publish(`account:${snapshot.accountId}`, snapshot);
    },
    publishTokenRevoked(tokenId) {
      eventTarget.dispatchEvent(new CustomEvent("token-revoked", { detail: { tokenId } }) as never);
    },
    onTokenRevoked(listener) {
      const handler = (event: CustomEvent<{ tokenId: string }>) => listener(event.detail.tokenId);
      eventTarget.addEventListener("token-revoked", handler as never);
      return () => eventTarget.removeEventListener("token-revoked", handler as never);
    },
    operationChanges: (operationId) => subscribe(`operation:${operationId}`),
    accountOperationChanges: (accountId) => subscribe(`account:${accountId}`),
    settled: () => transport.settled(),
    problem: () => transport.problem(),
  };
}
