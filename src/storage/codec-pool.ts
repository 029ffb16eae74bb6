// Compression and decompression of chunks on worker threads, so capture and restore use
// every core while the main thread reads and writes.
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const ZSTD_LEVEL = 3;

// zstd-napi's low-level binding, for compressBound (its package exports no wrapper of it).
const zstdBinding = createRequire(import.meta.url)("zstd-napi/binding") as { compressBound(size: number): number };

/**
 * Tells a worker to end by itself (codec-worker.cjs closes its port); referenced again, so
 * that a process with nothing else to do waits for its end instead of exiting under it.
 */
function retire(worker: Worker): void {
  worker.ref();
  worker.postMessage({ job: "exit" });
}

const ownsItsMemory = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;

interface Job {
  id: number;
  job: "hash" | "compress" | "decompress";
  data: Uint8Array;
  /** Where a compress or decompress job writes its result, when the caller lends its own memory. */
  into?: Uint8Array;
  resolve: (value: { data?: Buffer; hash?: string; input?: Buffer }) => void;
  reject: (error: Error) => void;
}

/** A worker answered that it could not do the job: the data is not what zstd expects. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

/** A job's worker thread stopped before it answered (it crashed, or the pool closed). */
export class WorkerStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerStoppedError";
  }
}

export class CodecPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private readonly workers: Worker[] = [];
  private nextId = 0;

  private closed = false;

  constructor(size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.startWorker();
  }

  private startWorker(): void {
    const worker = new Worker(new URL("./codec-worker.cjs", import.meta.url));
    worker.unref();
    worker.on("message", (message: { id: number; data?: Uint8Array; hash?: string; error?: string }) => this.done(worker, message));
    worker.on("error", (error: Error) => this.lost(worker, `crashed (${error.message})`));
    worker.on("exit", (code) => this.lost(worker, `exited with code ${code}`));
    this.workers.push(worker);
    this.idle.push(worker);
    this.dispatch();
  }

  /**
   * Names a chunk by the SHA-256 of its bytes. The chunk's memory moves to the worker and
   * back, here and in compress: `data` is unusable afterwards, and `raw` is the same memory
   * with the same bytes, for the caller to reuse (a capture reads every chunk into a few
   * such buffers instead of allocating 4 MiB per chunk, which kept the collector busy).
   */
  async hash(data: Uint8Array): Promise<{ sha256: string; raw: Buffer }> {
    const result = await this.run("hash", data);
    return { sha256: result.hash!, raw: result.input! };
  }

  /**
   * zstd-compresses a chunk; its memory comes back as `raw` (see hash). With `into` (a buffer
   * that owns its memory, of at least `compressedSizeAtMost(data.length)`), the result is
   * written there and `compressed` is that memory coming back, for the caller to reuse: a
   * capture then allocates nothing per chunk, and the collector stays out of its way.
   */
  async compress(data: Uint8Array, into?: Uint8Array): Promise<{ compressed: Buffer; raw: Buffer }> {
    const result = await this.run("compress", data, into);
    return { compressed: result.data!, raw: result.input! };
  }

  /** The most bytes zstd can make of `size` bytes (incompressible data grows a little). */
  static compressedSizeAtMost(size: number): number {
    return zstdBinding.compressBound(size);
  }

  /**
   * Decompresses a chunk and returns it with the SHA-256 of its raw bytes. With `into` (a
   * buffer that owns its memory), the chunk is decoded there: `into` moves to the worker and
   * `raw` is that memory coming back, for the caller to reuse (a restore decodes every chunk
   * into a few buffers instead of a new 4 MiB each). A chunk longer than `into` is a CodecError.
   */
  async decompress(data: Uint8Array, into?: Uint8Array): Promise<{ raw: Buffer; sha256: string }> {
    const result = await this.run("decompress", data, into);
    return { raw: result.data!, sha256: result.hash! };
  }

  /**
   * Stops the workers; every job queued or running is rejected at once, none waits for ever.
   * Workers are never terminated: a worker told to exit ends by itself between jobs, a busy
   * one when its job answers, one chunk's work later. A termination inside a zstd call, or
   * while zstd-napi's finalizers run at the thread's end, makes zstd-napi throw a C++
   * exception that aborts the whole process (SIGABRT; SIGSEGV on Node 20).
   */
  async close(): Promise<void> {
    this.closed = true;
    const exited = this.workers.map((worker) => new Promise((resolve) => worker.once("exit", resolve)));
    const stopped = new WorkerStoppedError("the codec pool was closed (the server is stopping)");
    for (const job of this.queue.splice(0)) job.reject(stopped);
    for (const job of this.busy.values()) job.reject(stopped);
    for (const worker of this.idle.splice(0)) retire(worker);
    await Promise.all(exited);
  }

  private run(job: Job["job"], data: Uint8Array, into?: Uint8Array): Promise<{ data?: Buffer; hash?: string; input?: Buffer }> {
    if (this.closed) return Promise.reject(new WorkerStoppedError("the codec pool was closed (the server is stopping)"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, data, into, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      this.dispatching(worker);
      const transfer = [job.data, job.into].filter((bytes) => bytes && ownsItsMemory(bytes)).map((bytes) => bytes!.buffer as ArrayBuffer);
      worker.postMessage({ id: job.id, job: job.job, data: job.data, into: job.into, level: ZSTD_LEVEL }, transfer);
    }
  }

  /**
   * Called as a job is handed to a worker, just before it is posted (a seam for tests that
   * make workers die: a worker terminated here never runs the job, whatever the load).
   */
  protected dispatching(_worker: Worker): void {}

  private done(worker: Worker, message: { id: number; data?: Uint8Array; length?: number; hash?: string; input?: Uint8Array; error?: string }): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    if (this.closed) {
      retire(worker); // its job was rejected by close()
      return;
    }
    this.idle.push(worker);
    if (job) {
      if (message.error !== undefined) job.reject(new CodecError(message.error));
      else {
        const asBuffer = (bytes: Uint8Array, length = bytes.byteLength) => Buffer.from(bytes.buffer, bytes.byteOffset, length);
        job.resolve({ data: message.data && asBuffer(message.data, message.length), hash: message.hash, input: message.input && asBuffer(message.input) });
      }
    }
    this.dispatch();
  }

  /** A worker that crashed or exited fails its job and is replaced, so the pool never shrinks. */
  private lost(worker: Worker, how: string): void {
    if (!this.workers.includes(worker)) return; // "error" comes before "exit": handled once
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    this.workers.splice(this.workers.indexOf(worker), 1);
    if (this.idle.includes(worker)) this.idle.splice(this.idle.indexOf(worker), 1);
    if (this.closed) return;
    job?.reject(new WorkerStoppedError(`a codec worker thread ${how} while it ${{ hash: "hashed", compress: "compressed", decompress: "decompressed" }[job.job]} a chunk`));
    this.startWorker();
  }
}
