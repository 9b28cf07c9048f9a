import { Worker } from 'node:worker_threads';
import type { FreshArrays } from './key-table.js';

/**
 * Zeroed ArrayBuffers whose pages are already in memory: made here, touched on a worker
 * thread, and handed back (transferred both ways, never copied).
 *
 * The first write to a page of fresh memory is a page fault; on the machines lapse is
 * measured on (a VM whose host backs guest memory lazily) that costs ~3 ms a MiB, 24 MiB
 * of new key table ~50-70 ms, and a key table's resize writes its new array all over
 * (each entry goes to its hash's slot). Traced at stop 35: the longest stalls of a mass
 * expiry were a table's shrink faulting in its new array on the main thread. A table
 * asks here instead and starts its resize when the array arrives, so the faults land on
 * this thread, beside the one serving clients.
 *
 * The worker starts with the first request and ends after IDLE_MS without one (its
 * isolate costs a few MB). It is code given to Worker as a string (eval), so it runs the
 * same from the TypeScript sources, dist/ and the one-file bundle. If it fails, every
 * waiting request is answered with null and later ones are refused: callers allocate as
 * before.
 */
export class FreshMemory implements FreshArrays {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, (buffer: ArrayBuffer | null) => void>();
  private nextId = 1;
  private idle: NodeJS.Timeout | null = null;
  private failed = false;
  private closed = false;
  /** Buffers delivered (tests and INFO-free diagnostics). */
  delivered = 0;

  /**
   * Asks for a zeroed buffer of `bytes` with its pages touched; `ready` gets it (or null
   * if the worker failed or this closed) on a later turn. False: not available now (the
   * caller allocates itself).
   */
  request(bytes: number, ready: (buffer: ArrayBuffer | null) => void): boolean {
    if (this.failed || this.closed) return false;
    const worker = this.worker ?? this.start();
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    const id = this.nextId++;
    this.waiting.set(id, ready);
    // Made on this thread (malloc maps it and writes no page), so that Node counts it in
    // this thread's arrayBuffers as any other: a buffer the worker made is in V8's external
    // memory here but in the worker's arrayBuffers, and the server's live figure (heap.ts
    // liveMemory) counted it twice (used_memory +7.8 MB after 580k keys).
    const buffer = new ArrayBuffer(bytes);
    worker.postMessage({ id, buffer }, [buffer]);
    return true;
  }

  /** Ends the worker; requests still waiting get null. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (message: { id: number; buffer: ArrayBuffer }) => this.arrived(message.id, message.buffer));
    worker.on('error', () => {
      this.failed = true;
      this.stop();
    });
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = null;
        this.answerAll();
      }
    });
    this.worker = worker;
    return worker;
  }

  private arrived(id: number, buffer: ArrayBuffer): void {
    const ready = this.waiting.get(id);
    if (ready === undefined) return;
    this.waiting.delete(id);
    this.delivered++;
    if (this.waiting.size === 0 && this.idle === null) {
      this.idle = setTimeout(() => this.stop(), IDLE_MS);
      this.idle.unref();
    }
    ready(buffer);
  }

  private stop(): void {
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) void worker.terminate();
    this.answerAll();
  }

  private answerAll(): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const ready of waiting) ready(null);
  }
}

/** How long the worker stays after its last delivery. */
const IDLE_MS = 10_000;

/**
 * The worker: writes one byte in each 4 KiB page of the buffer it is given (a write, not
 * a read: a read maps the shared zero page) and transfers it back.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, buffer }) => {
  const view = new Uint8Array(buffer);
  for (let i = 0; i < view.length; i += 4096) view[i] = 0;
  parentPort.postMessage({ id, buffer }, [buffer]);
});
`;
