// The SHA-256 of a whole volume, computed on its own worker thread: hashing every byte of
// capacity (holes included) is the longest CPU job of a capture or restore, and on the main
// thread it starved the API.
import { Worker } from "node:worker_threads";

/** How far feeding may run ahead of hashing: bounds memory and keeps progress honest. */
const MAX_LAG_BYTES = 256 * 1024 * 1024;

export class StreamHasher {
  private readonly worker = new Worker(new URL("./stream-hash-worker.cjs", import.meta.url));
  private fed = 0;
  private hashed = 0;
  private waiting: (() => void) | null = null;
  private digested: ((hex: string) => void) | null = null;
  private failure: Error | null = null;

  constructor() {
    this.worker.on("message", (message: { kind: "hashed"; bytes: number } | { kind: "digest"; hex: string }) => {
      if (message.kind === "hashed") {
        this.hashed = message.bytes;
        if (this.waiting && this.fed - this.hashed <= MAX_LAG_BYTES) {
          this.waiting();
          this.waiting = null;
        }
      } else {
        this.digested?.(message.hex);
      }
    });
    this.worker.on("error", (error) => {
      this.failure = error;
      this.waiting?.();
    });
  }

  /** Hashes a copy of `data` (the caller may reuse its buffer at once). */
  async update(data: Uint8Array): Promise<void> {
    this.worker.postMessage({ kind: "data", data });
    await this.fedBytes(data.byteLength);
  }

  /** Hashes `length` zero bytes: a hole, never read. */
  async zeros(length: number): Promise<void> {
    this.worker.postMessage({ kind: "zeros", length });
    await this.fedBytes(length);
  }

  /** The hex digest of everything fed so far; the hasher is done afterwards. */
  async digest(): Promise<string> {
    const hex = new Promise<string>((resolve) => (this.digested = resolve));
    this.worker.postMessage({ kind: "digest" });
    try {
      const result = await hex;
      if (this.failure) throw this.failure;
      return result;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops without a digest (failure and cancel paths). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private async fedBytes(bytes: number): Promise<void> {
    this.fed += bytes;
    if (this.fed - this.hashed > MAX_LAG_BYTES) await new Promise<void>((resolve) => (this.waiting = resolve));
    if (this.failure) throw this.failure;
  }
}
