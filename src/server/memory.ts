import v8 from 'node:v8';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { Config } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { Evictor, type EvictionPolicy } from '../keyspace/eviction.js';
import type { EvictionResult, MemoryContext } from '../commands/context.js';
import type { Clock } from '../keyspace/clock.js';

/**
 * Used memory and maxmemory.
 *
 * What "used memory" means in lapse. Redis's used_memory is its allocator's count of
 * live bytes. A Node process holds three kinds of memory: the process's own (node's code,
 * libraries, V8's and libuv's structures: about 40 MB before anything is stored), V8's
 * heap (live objects, plus garbage until the next collection, plus the young
 * generation), and memory outside the heap (Buffers). lapse counts:
 *
 *   used_memory = native + live heap and external memory, where
 *   native      = RSS - heap committed - external, measured once at start-up;
 *   live        = V8's old generation in use plus external memory right after the
 *                 last full GC (observed with a PerformanceObserver), plus what the keys
 *                 gained or lost since then by the dataset estimate (memory-cost.ts),
 *                 which every change to a key keeps up to date. So used_memory follows
 *                 each write at once, and is re-anchored to the real heap at every full
 *                 GC: the estimate's error never accumulates. The young generation is
 *                 left out of the measure: the observer runs a little after the GC, when
 *                 it holds what was allocated since, mostly garbage (a key still there
 *                 is in the estimate already).
 *
 * Garbage and the young generation are not counted: they are what the process's RSS
 * holds beyond used_memory, and lapse keeps them small while maxmemory is set by asking
 * V8 to grow its old generation in small steps (--heap-growing-percent, set at run time)
 * and, from the command line, by starting node with a young generation sized to
 * maxmemory (--max-semi-space-size: cli.ts). With maxmemory 100mb, the process's RSS
 * stays within 1.5x of it (test/integration/memory-bound.test.ts).
 *
 * Eviction follows Redis's performEvictions: before each command, while used memory is
 * over maxmemory, keys are evicted by the policy; each call spends at most the time
 * maxmemory-eviction-tenacity allows (500 us at the default 10) and then goes on in the
 * background on the next turns of the event loop, as Redis's eviction time proc does.
 */

/** V8's old generation grows by this much over the live heap before the next full GC, while maxmemory is set. */
const HEAP_GROWING_PERCENT = 20;

/** One PerformanceObserver for the process: every server's calibration listens to it. */
const fullGcListeners = new Set<() => void>();
let gcObserver: PerformanceObserver | null = null;

function observeFullGc(listener: () => void): void {
  fullGcListeners.add(listener);
  if (gcObserver !== null) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        for (const l of fullGcListeners) l();
        return;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

function unobserveFullGc(listener: () => void): void {
  fullGcListeners.delete(listener);
  if (fullGcListeners.size === 0 && gcObserver !== null) {
    gcObserver.disconnect();
    gcObserver = null;
  }
}

/** V8's old generation in use (every space but the young generation's) plus external memory. */
function liveMemory(): number {
  let n = v8.getHeapStatistics().external_memory;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space') n += space.space_used_size;
  }
  return n;
}

/** Redis's evictionTimeLimitUs: how long one call may evict, by maxmemory-eviction-tenacity. */
function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
  return Infinity;
}

let heapGrowingSet = false;

export class Memory implements MemoryContext {
  /** Memory of the process that is neither V8's heap nor external memory. */
  readonly native: number;
  /** Live heap and external memory minus the dataset estimate, at the last calibration. */
  private offset: number;
  readonly startup: number;
  private readonly evictor: Evictor;
  private readonly onFullGc = () => this.calibrate();
  /** A background eviction is scheduled (Redis's isEvictionProcRunning). */
  private evictionScheduled = false;
  /** When used memory went over maxmemory (monotonic ms), or -1 while under. */
  private overSince = -1;
  private exceededTotal = 0;
  private closed = false;
  // The configuration, read on every command while maxmemory is set: kept here, updated by applyConfig.
  private max = 0;
  private policy: EvictionPolicy = 'noeviction';
  private samples = 5;
  private tenacity = 10;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly log: (level: 'warning' | 'notice', message: string) => void,
  ) {
    const m = process.memoryUsage();
    this.native = Math.max(0, m.rss - m.heapTotal - m.external);
    this.offset = liveMemory() - keyspace.datasetBytes;
    this.startup = this.used();
    this.evictor = new Evictor(keyspace);
    observeFullGc(this.onFullGc);
    this.readConfig();
  }

  get maxmemory(): number {
    return this.max;
  }

  /** used_memory (see the file comment). */
  used(): number {
    return this.native + this.offset + this.keyspace.datasetBytes;
  }

  /** The estimated bytes of the keys (used_memory_dataset). */
  dataset(): number {
    return this.keyspace.datasetBytes;
  }

  /** Re-anchors used memory to the real heap (after a full GC). */
  calibrate(): void {
    this.offset = liveMemory() - this.keyspace.datasetBytes;
  }

  /**
   * Redis's performEvictions, before a command: 'ok' when used memory is within
   * maxmemory (or there is none), 'running' when keys are being evicted and more will be
   * in the background, 'fail' when nothing more can be evicted (noeviction, or no key the
   * policy may take) and memory is still over the limit.
   */
  performEvictions(): EvictionResult {
    const max = this.max;
    if (max <= 0) return 'ok';
    let used = this.used();
    if (used <= max) {
      this.underLimit();
      return 'ok';
    }
    if (this.overSince < 0) this.overSince = this.clock.monotonic();
    const policy = this.policy;
    if (policy === 'noeviction') return 'fail';
    const samples = this.samples;
    const limitMs = evictionTimeLimitMs(this.tenacity);
    const start = this.clock.monotonic();
    let freedKeys = 0;
    while (used > max) {
      if (!this.evictor.evictOne(policy, samples)) return 'fail';
      used = this.used();
      if (++freedKeys % 16 === 0 && this.clock.monotonic() - start > limitMs) {
        this.scheduleEviction();
        return 'running';
      }
    }
    this.underLimit();
    return 'ok';
  }

  /** Total and current time spent over maxmemory, ms (INFO total/current_eviction_exceeded_time). */
  exceededTime(): { total: number; current: number } {
    const current = this.overSince < 0 ? 0 : this.clock.monotonic() - this.overSince;
    return { total: Math.floor(this.exceededTotal + current), current: Math.floor(current) };
  }

  /** A memory parameter changed (maxmemory, maxmemory-*, lfu-*). */
  applyConfig(name: string): void {
    this.readConfig();
    if (name !== 'maxmemory') return;
    const max = this.maxmemory;
    if (max <= 0) return;
    const used = this.used();
    if (max < used) {
      this.log(
        'warning',
        `WARNING: the new maxmemory value set via CONFIG SET (${this.config.get('maxmemory')}) is smaller than the current memory usage (${used}). ` +
          'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
      );
    }
    tuneHeapGrowth();
    this.performEvictions();
  }

  /** At start-up: the warnings Redis gives for a very small maxmemory; V8's heap growth. */
  start(): void {
    const max = this.maxmemory;
    if (max <= 0) return;
    if (max < 1024 * 1024) {
      this.log('warning', `WARNING: You specified a maxmemory value that is less than 1MB (current value is ${this.config.get('maxmemory')} bytes). Are you sure this is what you really want?`);
    }
    if (max < this.used()) {
      this.log('warning', `WARNING: maxmemory (${max} bytes) is below the memory lapse uses before storing anything (${this.used()} bytes): writes will be refused or every key evicted. See README (Memory).`);
    }
    tuneHeapGrowth();
  }

  close(): void {
    this.closed = true;
    unobserveFullGc(this.onFullGc);
  }

  private readConfig(): void {
    const config = this.config;
    this.max = config.number('maxmemory');
    this.policy = config.string('maxmemory-policy') as EvictionPolicy;
    this.samples = config.number('maxmemory-samples');
    this.tenacity = config.number('maxmemory-eviction-tenacity');
    const ks = this.keyspace;
    const lfu = this.policy.endsWith('-lfu');
    if (lfu !== ks.lfu) this.evictor.clear();
    ks.lfu = lfu;
    ks.lfuLogFactor = this.config.number('lfu-log-factor');
    ks.lfuDecayTime = this.config.number('lfu-decay-time');
  }

  private underLimit(): void {
    if (this.overSince < 0) return;
    this.exceededTotal += this.clock.monotonic() - this.overSince;
    this.overSince = -1;
  }

  /** Goes on evicting on the next turn of the event loop, until under the limit or stuck. */
  private scheduleEviction(): void {
    if (this.evictionScheduled) return;
    this.evictionScheduled = true;
    setImmediate(() => {
      this.evictionScheduled = false;
      if (!this.closed) this.performEvictions();
    });
  }
}

/** While maxmemory is set, V8 grows its heap in small steps (see the file comment). Once per process. */
function tuneHeapGrowth(): void {
  if (heapGrowingSet) return;
  heapGrowingSet = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
