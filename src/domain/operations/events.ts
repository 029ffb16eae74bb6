// The one event port. Operation snapshots are published here after every change and
// read by subscriptions. Events travel over an EventTarget: in-process by default; a
// shared one (e.g. @graphql-yoga/redis-event-target) makes it a cross-instance bus
// without touching the domain. Payloads are plain JSON for that reason.
import { setMaxListeners } from "node:events";
import { Repeater, SlidingBuffer, type PubSubEventTarget } from "graphql-yoga";
import type { OperationSnapshot } from "./operation-snapshot.ts";

export interface EventBus {
  publishOperation(snapshot: OperationSnapshot): void;
  /** A token was revoked: whatever it has open must end. */
  publishTokenRevoked(tokenId: string): void;
  onTokenRevoked(listener: (tokenId: string) => void): () => void;
  operationChanges(operationId: string): AsyncIterableIterator<OperationSnapshot>;
  accountOperationChanges(accountId: string): AsyncIterableIterator<OperationSnapshot>;
}

export type OperationEventTarget = PubSubEventTarget<Record<string, [OperationSnapshot]>>;

/** Many subscribers to one operation are normal: no "possible leak" warning past 10. */
function unlimitedEventTarget(): OperationEventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target as OperationEventTarget;
}

/**
 * Events a slow subscriber has not read yet. Older progress is dropped first, never the
 * newest, so the terminal state always arrives. (graphql-yoga's createPubSub shares one
 * buffer among all subscribers, so each subscriber gets its own here.)
 */
export const SUBSCRIBER_BUFFER = 64;

export function createEventBus(eventTarget: OperationEventTarget = unlimitedEventTarget()): EventBus {
  const publish = (topic: string, snapshot: OperationSnapshot) =>
    eventTarget.dispatchEvent(new CustomEvent(topic, { detail: snapshot }));

  // Listening starts when the subscription is made, not at its first read: a Repeater runs
  // its executor at the first next(), and a caller that subscribes, reads the current state
  // and then iterates would lose what was published in between (follow() does exactly that).
  const subscribe = (topic: string): AsyncIterableIterator<OperationSnapshot> => {
    const early: OperationSnapshot[] = [];
    let push: ((snapshot: OperationSnapshot) => void) | null = null;
    const listener = (event: CustomEvent<OperationSnapshot>) => {
      if (push) push(event.detail);
      else if (early.push(event.detail) > SUBSCRIBER_BUFFER) early.shift();
    };
    eventTarget.addEventListener(topic, listener);
    const stopListening = () => eventTarget.removeEventListener(topic, listener);
    const changes = new Repeater<OperationSnapshot>(async (repeaterPush, stop) => {
      push = (snapshot) => void repeaterPush(snapshot);
      for (const snapshot of early.splice(0)) push(snapshot);
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
  };
}
