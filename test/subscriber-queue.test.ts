// One subscriber's queue of a shared source (graphql/subscriber-queue.ts): results in order,
// the oldest dropped past its capacity, the end or the source's error after what is buffered,
// and the subscriber leaving exactly once.
import { describe, expect, it } from "vitest";
import { SubscriberQueue } from "../src/graphql/subscriber-queue.ts";

const result = (n: number) => ({ data: { n } });

describe("SubscriberQueue", () => {
  it("hands a waiting reader the next result, and keeps the newest ones when the reader is slow", async () => {
    const queue = new SubscriberQueue(3, () => undefined);
    const waiting = queue.next();
    queue.push(result(1));
    expect(await waiting).toEqual({ value: result(1), done: false });
    for (let n = 2; n <= 6; n++) queue.push(result(n));
    const read = [await queue.next(), await queue.next(), await queue.next()].map((r) => r.value);
    expect(read).toEqual([result(4), result(5), result(6)]);
  });

  it("ends after what is buffered, or fails with the source's error after it; and leaves once", async () => {
    let left = 0;
    const ended = new SubscriberQueue(8, () => left++);
    ended.push(result(1));
    ended.stop();
    ended.push(result(2)); // after the end: not delivered
    expect(await ended.next()).toEqual({ value: result(1), done: false });
    expect(await ended.next()).toEqual({ value: undefined, done: true });
    expect(await ended.next()).toEqual({ value: undefined, done: true });
    expect(left).toBe(1);

    const failed = new SubscriberQueue(8, () => left++);
    const waiting = failed.next();
    failed.stop(new Error("the source failed"));
    await expect(waiting).rejects.toThrow("the source failed");
    expect(left).toBe(2);
  });

  it("answers a reader waiting when the subscriber is returned, and leaves once", async () => {
    let left = 0;
    const queue = new SubscriberQueue(8, () => left++);
    const waiting = queue.next();
    expect(await queue.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    await queue.return();
    queue.push(result(1));
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(left).toBe(1);
  });
});
