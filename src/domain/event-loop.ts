// Long CPU-only loops (hashing runs of holes, which never wait for I/O) let requests in
// between, so the API stays responsive during a capture or restore.

/** About 0.1 s of hashing zeros. */
export const HOLES_BETWEEN_YIELDS = 32;

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
