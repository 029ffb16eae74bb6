// Waiting for a state with a deadline, for the few places with no event to wait on (a
// child process's progress seen through its API). Fails with what it waited for.
export async function until<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 120_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A promise resolved by the first value that satisfies `test`, fed from an event callback. */
export function firstMatch<T>(test: (value: T) => boolean, what: string, timeoutMs = 120_000) {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    feed(value: T) {
      if (test(value)) resolve(value);
    },
  };
}
