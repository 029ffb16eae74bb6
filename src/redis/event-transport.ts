// Operation events over Redis pub/sub (@graphql-yoga/redis-event-target), so that a subscriber
// on one instance follows an operation that runs on another. Pub/sub is at-most-once: what is
// published while a connection is away is gone. So after the subscriber connection is ready
// again, every open subscription is told that events may be lost (EVENTS_LOST), and reads
// its operation's state again from the database.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { EventTransport, OperationEventTarget } from "../domain/operations/index.ts";
import type { Logger } from "../domain/deps.ts";
import type { SharedRedis } from "./redis.ts";

export function redisEventTransport(redis: SharedRedis, log: Logger): EventTransport {
  // The event target sends PUBLISH, SUBSCRIBE and UNSUBSCRIBE without waiting for their
  // answers: while Redis is away they fail, and a rejection nobody handles would end the
  // process. A lost publish is what EVENTS_LOST repairs; it is logged once per outage.
  let warned = false;
  const logged = (what: string) => (error: Error) => {
    if (!warned) log.warn(`redis: ${what} failed; followers read the state again once it is back`, { error: error.message });
    warned = true;
  };
  redis.commands.on("ready", () => (warned = false));
  const publishClient = { publish: (channel: string, message: string) => redis.commands.publish(channel, message).catch(logged("publishing an event")) };
  const subscribeClient = {
    on: (event: string, listener: (channel: string, message: string) => void) => redis.subscriber.on(event, listener),
    subscribe: (channel: string) => redis.subscriber.subscribe(channel).catch(logged("subscribing")),
    unsubscribe: (channel: string) => redis.subscriber.unsubscribe(channel).catch(logged("unsubscribing")),
  };
  const target = createRedisEventTarget({ publishClient, subscribeClient } as never) as unknown as OperationEventTarget;
  const lostListeners = new Set<() => void>();
  let connectedOnce = false;
  redis.subscriber.on("ready", () => {
    // ioredis has sent the SUBSCRIBEs again by now (autoResubscribe); what came meanwhile is lost.
    if (connectedOnce) for (const listener of lostListeners) listener();
    connectedOnce = true;
  });
  if (redis.subscriber.status === "ready") connectedOnce = true;
  return {
    target,
    // The event target sends SUBSCRIBE without waiting for it; Redis answers a connection's
    // commands in order, so once a PING sent after them is answered, they are in effect.
    settled: async () => {
      await redis.subscriber.ping();
    },
    onEventsLost(listener) {
      lostListeners.add(listener);
      return () => lostListeners.delete(listener);
    },
    problem: () => redis.problem(),
  };
}
