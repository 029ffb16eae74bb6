// The event port (domain/operations/events.ts): a subscription hears what is published from the
// moment it is made, before its first read, since follow() reads the operation's state between
// the two and a change in that gap must not be lost.
import { describe, expect, it } from "vitest";
import { createEventBus, inProcessTransport } from "../src/domain/operations/index.ts";
import type { OperationSnapshot } from "../src/domain/operations/operation-snapshot.ts";

const snapshot = (status: OperationSnapshot["status"]) => ({ id: "op_1", accountId: "acct_1", status, changedAt: Date.now() }) as OperationSnapshot;

/** The next event, or a failure after a deadline. */
async function nextWithin<T>(changes: AsyncIterator<T>, ms = 2000): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms)));
  try {
    return await Promise.race([changes.next(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the event bus", () => {
  it("gives a subscription what was published after it was made and before its first read", async () => {
    const bus = createEventBus();
    const changes = bus.operationChanges("op_1");
    const accountChanges = bus.accountOperationChanges("acct_1");
    bus.publishOperation(snapshot("SUCCEEDED"));
    expect((await nextWithin(changes)).value).toMatchObject({ status: "SUCCEEDED" });
    expect((await nextWithin(accountChanges)).value).toMatchObject({ status: "SUCCEEDED" });
    await changes.return?.();
    await accountChanges.return?.();
  });

  it("stops listening when a subscription that was never read is ended", async () => {
    const target = new EventTarget();
    let listening = 0;
    const add = target.addEventListener.bind(target);
    const remove = target.removeEventListener.bind(target);
    target.addEventListener = (...args: Parameters<EventTarget["addEventListener"]>) => (listening++, add(...args));
    target.removeEventListener = (...args: Parameters<EventTarget["removeEventListener"]>) => (listening--, remove(...args));
    const bus = createEventBus(inProcessTransport(target as never));
    const changes = bus.operationChanges("op_1");
    expect(listening).toBe(1);
    await changes.return?.();
    expect(listening).toBe(0);
  });
});
