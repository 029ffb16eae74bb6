// What an image store's failure means, for the layers above: the one place that knows how
// each adapter says "missing" and "unreachable". The domain asks `storeFault`, never which
// adapter or SDK said it.

/** The store did not answer (or kept failing) after its bounded retries. */
export class StoreUnreachableError extends Error {
  /** The store as users see it, e.g. `image store "s3://imprint/chunks"`. */
  readonly store: string;
  constructor(store: string, reason: string) {
    super(`${store} is unreachable: ${reason}`);
    this.store = store;
    this.name = "StoreUnreachableError";
  }
}

/** The store answered and refused (credentials, permissions, a bucket that is not there): retrying will not help. */
export class StoreRefusedError extends Error {
  readonly store: string;
  constructor(store: string, what: string, reason: string) {
    super(`${store} refused the request for ${what}: ${reason}`);
    this.store = store;
    this.name = "StoreRefusedError";
  }
}

/** An object the store does not have, in the shape of a file system's ENOENT, so both adapters read alike. */
export function missingObject(store: string, key: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${store} has no object ${key}`);
  error.code = "ENOENT";
  return error;
}

/** `missing`: the chunk or manifest is not there; `unreachable`: the store is not answering; `refused`: it said no; null: none of those. */
export function storeFault(error: unknown): "missing" | "unreachable" | "refused" | null {
  if (error instanceof StoreUnreachableError) return "unreachable";
  if (error instanceof StoreRefusedError) return "refused";
  return (error as NodeJS.ErrnoException)?.code === "ENOENT" ? "missing" : null;
}
