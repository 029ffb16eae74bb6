// The SHA-256 of a whole volume, computed on its own worker thread: hashing every byte of
// capacity (holes included) is the longest CPU job of a capture or restore, and on the main
// thread it starved the API.
import { Worker } from "node:worker_threads";
import { WorkerStoppedError } from "./codec-pool.js";

/** How far feeding may run ahead of hashing: bounds memory and keeps progress honest. */
const MAX_LAG_BYTES = 256 * 1024 * 1024;

export class StreamHasher {
  private readonly worker = new Worker(new URL("./stream-hash-worker.cjs", import.meta.url));
  private fed = 0;
  private hashed = 0;
  private waiting: (() => void) | null = null;
  private digested: ((hex: string) => void) | null = null;
  private digestFailed: ((error: Error) => void) | null = null;
  private failure: Error | null = null;
  /** Set before the worker is terminated on purpose: its exit is then not a failure. */
  private finished = false;

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
    this.worker.on("error", (error) => this.fail(`crashed (${error.message})`));
    this.worker.on("exit", (code) => {
      if (!this.finished) this.fail(`exited with code ${code}`);
    });
  }

  /** A worker that dies fails whoever waits on it: feeding and the digest alike. */
  private fail(how: string): void {
    this.failure ??= new WorkerStoppedError(`the volume checksum thread ${how}`);
    this.waiting?.();
    this.waiting = null;
    this.digestFailed?.(this.failure);
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
    if (this.failure) throw this.failure;
    const hex = new Promise<string>((resolve, reject) => {
      this.digested = resolve;
      this.digestFailed = reject;
    });
    this.worker.postMessage({ kind: "digest" });
    try {
      const result = await hex;
      if (this.failure) throw this.failure;
      return result;
    } finally {
      await this.close();
    }
  }

  /** Stops without a digest (failure and cancel paths). */
  async close(): Promise<void> {
    this.finished = true;
    await this.worker.terminate();
  }

  private async fedBytes(bytes: number): Promise<void> {
    this.fed += bytes;
    if (this.fed - this.hashed > MAX_LAG_BYTES) await new Promise<void>((resolve) => (this.waiting = resolve));
    if (this.failure) throw this.failure;
  }
}
