import fs from 'node:fs';
import type { FreshArrays } from './key-table.js';

/**
 * Zeroed ArrayBuffers whose pages are already in memory: made here, then filled from
 * /dev/zero by a read that runs on libuv's thread pool, and handed over when it completes.
 *
 * The first write to a page of fresh memory is a page fault; on the machines lapse is
 * measured on (a VM whose host backs guest memory lazily) that costs ~3 ms a MiB, 24 MiB
 * of new key table ~50-70 ms, and a key table's resize writes its new array all over
 * (each entry goes to its hash's slot). Traced at stop 35: the longest stalls of a mass
 * expiry were a table's shrink faulting in its new array on the main thread. A table
 * asks here instead and starts its resize when the array arrives: the kernel, copying
 * zeros into the buffer for the read, takes the faults on a pool thread.
 *
 * Why a read and not a worker thread writing each page: a worker's isolate is ~9.5 MB
 * resident while it lives (the 1M-session memory bench read +10 MB with one), the pool's
 * threads are there anyway (and idle between file operations). The buffer is not used
 * until the read completes, so the zeros it writes overwrite nothing. Where /dev/zero
 * cannot be opened, requests are refused and tables allocate as before.
 */
export class FreshMemory implements FreshArrays {
  /** /dev/zero, opened at the first request (-1: not yet; -2: it could not be). */
  private fd = -1;
  private closed = false;
  /** Reads not completed yet. */
  private pending = 0;
  /** Buffers delivered (tests). */
  delivered = 0;

  /** `readMax`: the most one read asks for (READ_MAX; tests make it small). */
  constructor(private readonly readMax = READ_MAX) {}

  /**
   * Asks for a zeroed buffer of `bytes` with its pages in memory; `ready` gets it (or null
   * if the read failed or this closed) on a later turn. False: not available (the caller
   * allocates itself).
   */
  request(bytes: number, ready: (buffer: ArrayBuffer | null) => void): boolean {
    const fd = this.zero();
    if (fd < 0) return false;
    const buffer = new ArrayBuffer(bytes);
    this.pending++;
    this.fill(fd, new Uint8Array(buffer), 0, (ok) => {
      this.pending--;
      if (this.pending === 0 && this.closed) this.closeFd();
      if (!ok || this.closed) {
        ready(null);
        return;
      }
      this.delivered++;
      ready(buffer);
    });
    return true;
  }

  /** Refuses later requests; those in flight get null. /dev/zero is closed once none is. */
  close(): void {
    this.closed = true;
    if (this.pending === 0) this.closeFd();
  }

  private zero(): number {
    if (this.closed || this.fd === -2) return -1;
    if (this.fd === -1) {
      try {
        this.fd = fs.openSync('/dev/zero', 'r');
      } catch {
        this.fd = -2;
        return -1;
      }
    }
    return this.fd;
  }

  /**
   * Reads zeros into view[at..] until it is full, readMax at a time (node refuses a read
   * of 2 GiB or more, and a read may return less than asked).
   */
  private fill(fd: number, view: Uint8Array, at: number, done: (ok: boolean) => void): void {
    try {
      fs.read(fd, view, at, Math.min(this.readMax, view.length - at), null, (error, n) => {
        if (error !== null || n <= 0) done(false);
        else if (at + n < view.length) this.fill(fd, view, at + n, done);
        else done(true);
      });
    } catch {
      // Refused before it started (node's own checks): answered on a later turn, as a read's failure is.
      setImmediate(() => done(false));
    }
  }

  private closeFd(): void {
    if (this.fd >= 0) fs.close(this.fd, () => {});
    this.fd = -2;
  }
}

/** The most one read asks for. */
const READ_MAX = 1 << 30;
