// The store lock: sweeps exclude captures, and a waiting sweep is not starved by captures.
import { describe, expect, it } from "vitest";
import { StoreLock } from "../src/domain/templates/index.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("StoreLock", () => {
  it("lets a waiting writer go before readers that arrive after it", async () => {
    const lock = new StoreLock();
    const order: string[] = [];
    const first = deferred();
    const reader1 = lock.shared(async () => {
      order.push("reader 1 in");
      await first.promise;
      order.push("reader 1 out");
    });
    const writer = lock.exclusive(async () => {
      order.push("writer");
    });
    const reader2 = lock.shared(async () => {
      order.push("reader 2");
    });
    await Promise.resolve();
    first.resolve();
    await Promise.all([reader1, writer, reader2]);
    expect(order).toEqual(["reader 1 in", "reader 1 out", "writer", "reader 2"]);
  });

  it("never runs a writer beside readers or another writer", async () => {
    const lock = new StoreLock();
    let readers = 0;
    let writers = 0;
    const seen: string[] = [];
    const tasks = Array.from({ length: 40 }, (_, i) =>
      i % 5 === 0
        ? lock.exclusive(async () => {
            writers++;
            if (writers > 1 || readers > 0) seen.push(`writer ${i} overlapped`);
            await new Promise((r) => setImmediate(r));
            writers--;
          })
        : lock.shared(async () => {
            readers++;
            if (writers > 0) seen.push(`reader ${i} overlapped a writer`);
            await new Promise((r) => setImmediate(r));
            readers--;
          }),
    );
    await Promise.all(tasks);
    expect(seen).toEqual([]);
  });
});
