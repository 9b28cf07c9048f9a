import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';

/**
 * What lapse reads from V8 about the process's memory, and the two things it asks of it
 * (a full collection; how far its old generation grows between full collections). Process-wide by nature: nothing
 * here is kept between calls, every caller holds what it obtains.
 *
 * Where the memory of a Node process is (node 20, V8 11.3, x64, glibc), and how it comes
 * back once keys are deleted (measured with MEMORY MALLOC-STATS and /proc/PID/smaps):
 * - V8's young generation: two semi-spaces that grow to 16 MB each under a write load
 *   (32 MB resident) and shrink back to 1 MB only at a full GC that sees a low allocation
 *   rate (V8's ReduceNewSpaceSize: under ~1 MB/s over the last few seconds).
 * - V8's old generation: strings under 128 KB (kMaxRegularHeapObjectSize) live on 256 KB
 *   pages, larger ones each on a large-object page of their own. V8 maps these pages
 *   itself and unmaps dead ones (on a background thread) after the full GC that finds
 *   them dead; half-empty pages wait for a compacting GC (V8's memory reducer runs one
 *   some 10-20 s after the heap goes quiet).
 * - malloc'd memory: ArrayBuffers (socket and reply Buffers) and external strings (node
 *   makes a latin1 string longer than 0xFBEE9 bytes external). glibc raises its mmap
 *   threshold to the size of a freed mmap'd block, so later blocks of that size come from
 *   its arena, where a freed block below a live one stays resident (malloc_trim would
 *   return it; JavaScript cannot call it): 600 x 1 MiB values, FLUSHALL, a full GC, and
 *   the arena still held 560 MB. So values stay out of malloc: the parser joins a long
 *   argument on V8's heap (protocol/parser.ts).
 * Either way, what deleted keys held comes back only at a full GC, and V8 starts one only
 * when the heap grows: a server that went quiet after a FLUSHALL of 600 MB kept it (RSS
 * 580-680 MB 15 s later, 54 MB fresh). The Reclaimer (reclaim.ts) asks for that GC.
 */

/**
 * Memory the live data can be in: V8's old generation in use (every space but the young
 * generation's) plus external memory other than ArrayBuffers (external strings: values
 * from ~1 MB up). ArrayBuffers (socket and reply buffers, a long argument's bytes while
 * it arrives) are left out: the clients' are counted by the server on their own, the
 * rest are transient, and a concurrent sweeper frees dead ones some time after the GC
 * that found them, so right after a GC they would still count.
 */
export function liveMemory(): number {
  let n = v8.getHeapStatistics().external_memory - process.memoryUsage().arrayBuffers;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space') n += space.space_used_size;
  }
  return n;
}

/** Heap in use (all spaces, garbage not yet collected included) plus external memory, ArrayBuffers left out. */
export function heapInUse(): number {
  return v8.getHeapStatistics().used_heap_size + v8.getHeapStatistics().external_memory - process.memoryUsage().arrayBuffers;
}

/** What V8 and Buffers hold of the process's memory: the heap's committed pages plus external memory. */
export function heapHeld(): number {
  const h = v8.getHeapStatistics();
  return h.total_heap_size + h.external_memory;
}

/** V8's heap limit (--max-old-space-size and the young generation), bytes. */
export function heapLimit(): number {
  return v8.getHeapStatistics().heap_size_limit;
}

/**
 * A function that runs a full, atomic garbage collection (V8's gc() extension, enabled at
 * run time), or null if V8 refuses. Each call makes a new one (a vm context, ~1 ms): the
 * caller keeps it.
 */
export function exposeGc(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

const MB = 1024 * 1024;
/** While maxmemory is set: V8's old generation grows by this much over the live heap before the next full GC. */
const BOUNDED_GROWING_PERCENT = 20;
/** Otherwise, by at least this much, and at least this share of the live heap ... */
const MIN_GROWTH_BYTES = 64 * MB;
const MIN_GROWING_PERCENT = 20;
/** ... and at most V8's own largest factor (4x). */
const MAX_GROWING_PERCENT = 300;

/**
 * How much V8's old generation may grow over the live heap before its next full GC, in
 * a process that is lapse's own (the command line): V8's default is a factor of 1.1 to
 * 4 chosen from its GC and allocation speeds, which lets garbage reach a few times the
 * live data. heap_growing_percent replaces it (it is read at every full GC, so it applies
 * at run time, from the GC after it is set).
 *
 * - maxmemory set: 20%, so the RSS stays close to used_memory.
 * - otherwise: 20% of the live heap but at least 64 MB. A flat 20% made a small heap
 *   collect every few MB: redis-benchmark -c 50 -d 230 -r 100000 -P 16 (100k keys,
 *   ~40 MB live), three alternating runs each, SET 322-353k ops/s at 20% against 367-369k
 *   with V8's default, HSET 321-337k against 370-410k (50%: ~340k; 100%: 338-365k). On
 *   a large heap the 20% keeps the garbage bounded: churn benchmark (50k sessions of
 *   100 B-20 KB at saturation, `npm run bench -- --quick --only churn`, one run each)
 *   peak RSS 1,165 MB with V8's default, 590 MB at 30%, 566 MB at 20% (Redis: 380 MB).
 *
 * All measured on a shared 2-core machine (node 20.20).
 */
export function heapGrowingPercent(liveBytes: number, boundedByMaxmemory: boolean): number {
  if (boundedByMaxmemory) return BOUNDED_GROWING_PERCENT;
  const forMinimum = Math.ceil((MIN_GROWTH_BYTES * 100) / Math.max(liveBytes, 1));
  return Math.min(MAX_GROWING_PERCENT, Math.max(MIN_GROWING_PERCENT, forMinimum));
}

/** Sets V8's heap growth (see heapGrowingPercent). Only for a process that is lapse's own: it changes V8 for everyone. */
export function setHeapGrowingPercent(percent: number): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Calls listener after every full (mark-compact) GC, whoever started it; returns the
 * function that stops it. The observer runs a little after the GC (a task of the event
 * loop), when the young generation holds what was allocated since.
 */
export function onFullGc(listener: (pauseMs: number) => void): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        listener(entry.duration);
        return;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
