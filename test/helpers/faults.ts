// Faults injected through the ports: a store that runs out of space or stops at a point,
// a volume driver whose writes fail with EIO, a codec pool whose worker dies. Each wraps
// the real adapter; nothing below them (file system, Prisma) is mocked.
import type { Worker } from "node:worker_threads";
import { CodecPool } from "../../src/storage/codec-pool.ts";
import { LocalImageStore } from "../../src/storage/image-store.ts";
import { LocalVolumeDriver } from "../../src/storage/volume-driver.ts";
import type { VolumeWriter } from "../../src/storage/volume-writer.ts";

export function systemError(code: string, syscall: string, path = "(hidden)"): NodeJS.ErrnoException {
  const error = new Error(`${code}: injected fault, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

/** Where a faulty adapter stops: it waits in pass() until the test lets it go (or kills it). */
export interface Pause {
  pass(): Promise<void>;
}

/** A promise that a test resolves to let a paused adapter go on; `reached` tells it got there. */
export class Gate implements Pause {
  private opened!: () => void;
  private readonly open = new Promise<void>((resolve) => (this.opened = resolve));
  private arrived!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));

  async pass(): Promise<void> {
    this.arrived();
    await this.open;
  }

  release(): void {
    this.opened();
  }
}

export interface StoreFaults {
  /** Chunk writes fail with ENOSPC once this many compressed bytes were written. */
  spaceBytes?: number;
  /** The Nth chunk write (1-based) waits at this gate first. */
  pauseAtPut?: { nth: number; gate: Pause };
  /** The Nth chunk read waits at this gate first. */
  pauseAtGet?: { nth: number; gate: Pause };
  /** The Nth chunk deletion waits at this gate first. */
  pauseAtDelete?: { nth: number; gate: Pause };
}

export class FaultyImageStore extends LocalImageStore {
  private written = 0;
  private puts = 0;
  private deletes = 0;
  private gets = 0;

  readonly faults: StoreFaults;
  constructor(
    root: string,
    faults: StoreFaults,
  ) {
    super(root);
    this.faults = faults;
  }

  /** The next chunk write waits at `gate` first. */
  pauseNextPut(gate: Pause): void {
    this.faults.pauseAtPut = { nth: this.puts + 1, gate };
  }

  override async putChunk(hash: string, compressed: Uint8Array): Promise<void> {
    this.puts++;
    if (this.faults.pauseAtPut?.nth === this.puts) await this.faults.pauseAtPut.gate.pass();
    // The space is taken when the write starts, as a file system does: several chunk writes
    // run at once, and a count kept after each ended would let all of them through.
    if (this.faults.spaceBytes !== undefined && this.written + compressed.length > this.faults.spaceBytes) {
      throw systemError("ENOSPC", "write", this.chunkPath(hash));
    }
    this.written += compressed.length;
    await super.putChunk(hash, compressed);
  }

  override async getChunk(hash: string): Promise<Buffer> {
    this.gets++;
    if (this.faults.pauseAtGet?.nth === this.gets) await this.faults.pauseAtGet.gate.pass();
    return super.getChunk(hash);
  }

  override async deleteChunk(hash: string): Promise<void> {
    this.deletes++;
    if (this.faults.pauseAtDelete?.nth === this.deletes) await this.faults.pauseAtDelete.gate.pass();
    await super.deleteChunk(hash);
  }
}

export interface VolumeFaults {
  /** A restore's writes to volumes fail with EIO once this many bytes were written through the port. */
  failWritesAfterBytes?: number;
  /** Making a restored volume durable (its final datasync) fails with EIO. */
  failFlushes?: boolean;
  /** The Nth volume replacement (a reload's swap) waits at this gate after it is done. */
  pauseAfterReplace?: { nth: number; gate: Pause };
}

export class FaultyVolumeDriver extends LocalVolumeDriver {
  private written = 0;
  private replaced = 0;

  readonly faults: VolumeFaults;
  constructor(
    dir: string,
    faults: VolumeFaults,
  ) {
    super(dir);
    this.faults = faults;
  }

  override async openWriter(volumeId: string): Promise<VolumeWriter> {
    const writer = await super.openWriter(volumeId);
    return {
      direct: writer.direct,
      write: async (data, position) => {
        const limit = this.faults.failWritesAfterBytes;
        if (limit !== undefined && this.written >= limit) throw systemError("EIO", "write", this.pathOf(volumeId));
        await writer.write(data, position);
        this.written += data.length;
      },
      finish: async () => {
        if (this.faults.failFlushes) throw systemError("EIO", "fdatasync", this.pathOf(volumeId));
        await writer.finish();
      },
      close: () => writer.close(),
    };
  }

  override async replace(fromId: string, toId: string): Promise<void> {
    await super.replace(fromId, toId);
    this.replaced++;
    if (this.faults.pauseAfterReplace?.nth === this.replaced) await this.faults.pauseAfterReplace.gate.pass();
  }
}

/** Terminates the worker that runs the Nth job (1-based), as a crash of that thread would. */
export class DyingCodecPool extends CodecPool {
  private jobs = 0;

  private readonly killAtJob: number;
  constructor(killAtJob: number) {
    super();
    this.killAtJob = killAtJob;
  }

  protected override dispatching(worker: Worker): void {
    if (++this.jobs === this.killAtJob) void worker.terminate();
  }
}
