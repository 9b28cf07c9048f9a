import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { newCrc64, updateCrc64, type Crc64 } from './crc64.js';
import { spawnWorkerModule } from './worker-file.js';

/**
 * An RDB file's CRC-64 computed on a worker thread while the main thread parses and
 * loads the file: the checksum is a tenth of a start-up load of sessions (1M sessions,
 * 209 MB: ~0.3 s of ~2.5 s), and the other core is idle meanwhile. Redis computes it
 * inline as it reads; the result is the same check, before the server accepts clients.
 *
 * The worker (checksum-worker.ts) opens the file by its path and checks it is the one the
 * main thread has open (device, inode, size), then reads [0, end) with its own reads:
 * nothing is shared but a few integers. `end` is where the checksum should stop if the
 * file is well formed (its size minus the 8 checksum bytes). When the parse ends
 * anywhere else (trailing bytes), the worker failed, or it stops making progress, the
 * main thread computes the checksum itself (computeFileCrc): never a wrong answer, at
 * worst the inline cost.
 */

/** state[STATUS] */
const CHECKSUM_RUNNING = 0;
export const CHECKSUM_DONE = 1;
export const CHECKSUM_FAILED = 2;
export const CHECKSUM_CANCELLED = 3;
/** Indexes in the shared state: status, the CRC's halves, the cancel flag, chunks done. */
const STATUS = 0;
const HI = 1;
const LO = 2;
const CANCEL = 3;
const PROGRESS = 4;

/** Files from this size have their checksum computed by a worker. */
export const OFFLOAD_FROM = 32 * 1024 * 1024;
/** Bytes read per step. */
const READ_BYTES = 4 * 1024 * 1024;
/** The main thread stops waiting for a worker that has not finished a step in this long. */
const STALL_MS = 3000;

export interface ChecksumWork {
  readonly path: string;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: number;
  readonly end: number;
  readonly state: SharedArrayBuffer;
}

/**
 * Feeds the file's bytes [0, end) into crc, reading at explicit offsets (the descriptor's
 * own position is not moved). With `state`, stops early when its cancel flag is set
 * (returns true) and counts the steps done.
 */
export function computeFileCrc(fd: number, end: number, crc: Crc64, state: Int32Array | null = null): boolean {
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(READ_BYTES, end)));
  let pos = 0;
  let steps = 0;
  while (pos < end) {
    if (state !== null && Atomics.load(state, CANCEL) !== 0) return true;
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) throw new Error(`the file ends at ${pos}, before ${end}`);
    updateCrc64(crc, buf, 0, n);
    pos += n;
    if (state !== null) Atomics.store(state, PROGRESS, ++steps);
  }
  return false;
}

/** The CRC of the file's bytes [0, end), read through fd on this thread. */
export function fileCrc(fd: number, end: number): Crc64 {
  const crc = newCrc64();
  computeFileCrc(fd, end, crc);
  return crc;
}

/** The worker's side: publishes the result (or why there is none). */
export function publishChecksum(state: Int32Array, status: number, crc: Crc64 | null): void {
  if (crc !== null) {
    Atomics.store(state, HI, crc.hi | 0);
    Atomics.store(state, LO, crc.lo | 0);
  }
  Atomics.store(state, STATUS, status);
  Atomics.notify(state, STATUS);
}

export class FileChecksum {
  private readonly state: Int32Array;

  private constructor(
    private readonly worker: Worker,
    buffer: SharedArrayBuffer,
    /** Where the worker stops. */
    readonly end: number,
  ) {
    this.state = new Int32Array(buffer);
  }

  /**
   * Starts the worker for the file at path, open as fd, of `size` bytes, if it is large
   * enough (`from`) and a worker can be started; else null (the checksum is computed
   * inline).
   */
  static start(path: string, fd: number, size: number, from = OFFLOAD_FROM): FileChecksum | null {
    if (size < from || size < 9 + 8) return null;
    const stat = fs.fstatSync(fd, { bigint: true });
    const buffer = new SharedArrayBuffer(5 * 4);
    const work: ChecksumWork = { path, dev: stat.dev, ino: stat.ino, size, end: size - 8, state: buffer };
    let worker: Worker;
    try {
      worker = spawnWorkerModule('checksum-worker', work);
    } catch {
      return null;
    }
    // Its failures are reported through the state (or seen as a stall): never the process's.
    worker.on('error', () => {});
    worker.unref();
    return new FileChecksum(worker, buffer, size - 8);
  }

  /**
   * The CRC of [0, end) if the worker computed exactly that (waiting for it, while it
   * makes progress), else null: the caller computes it itself. The worker is done with
   * either way.
   */
  take(end: number): Crc64 | null {
    const state = this.state;
    if (end !== this.end) {
      this.cancel();
      return null;
    }
    let progress = -1;
    let still = 0;
    for (;;) {
      const status = Atomics.load(state, STATUS);
      if (status === CHECKSUM_DONE) return { hi: Atomics.load(state, HI) >>> 0, lo: Atomics.load(state, LO) >>> 0 };
      if (status !== CHECKSUM_RUNNING) return null;
      Atomics.wait(state, STATUS, CHECKSUM_RUNNING, 100);
      const now = Atomics.load(state, PROGRESS);
      if (now !== progress) {
        progress = now;
        still = 0;
      } else if (++still * 100 >= STALL_MS) {
        this.cancel();
        return null;
      }
    }
  }

  /** Stops the worker (the load failed, or its result is not needed). */
  cancel(): void {
    Atomics.store(this.state, CANCEL, 1);
    void this.worker.terminate();
  }
}
