import type { Config } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { Evictor, type EvictionPolicy } from '../keyspace/eviction.js';
import type { EvictionResult, MemoryContext } from '../commands/context.js';
import type { Clock } from '../keyspace/clock.js';
import { exposeGc, heapGrowingPercent, heapHeld, heapInUse, heapLimit, liveMemory, onFullGc, setHeapGrowingPercent } from './heap.js';
import { Reclaimer } from './reclaim.js';

/**
 * used_memory, maxmemory and eviction, and memory given back by itself.
 *
 * What maxmemory bounds: the data, as users size it from Redis. Redis's used_memory is
 * its allocator's count of live bytes, about 1 MB for an empty server; a Node process
 * holds ~50 MB before it stores anything (node, V8, lapse's code). lapse's used_memory
 * leaves that baseline out:
 *
 *   used_memory = startup + gained + dataset + clients, where
 *   startup     = what creating the server allocated (its tables, databases, config;
 *                 used_memory_startup): measured between two full GCs from the
 *                 command line, estimated when embedded (STARTUP_BYTES);
 *   dataset     = the keys' estimated bytes (memory-cost.ts), kept up to date by every
 *                 change to a key, so used_memory follows each write at once;
 *   clients     = the clients' query and output buffers (as Redis counts normal clients'
 *                 buffers), sampled by the server's cron;
 *   gained      = from the command line (the process is lapse's own), what the real
 *                 heap showed at the last full GC beyond startup and the dataset
 *                 estimate: liveMemory (heap.ts: V8's old generation in use and external
 *                 strings, Buffers left out) right after it (observed with a
 *                 PerformanceObserver), minus the same at start-up, minus the dataset's
 *                 change since. This re-anchors used_memory to the heap at every full
 *                 GC (the least of the last few readings: calibrate), so the estimate's error never accumulates. The clients' buffers
 *                 are Buffers, outside liveMemory, so they are not counted twice (an
 *                 argument still arriving is, briefly: its parts are strings). Embedded,
 *                 0: the process's heap is shared with the host (and maybe other
 *                 servers), whose changes are not this server's.
 *
 * The baseline (INFO lapse_baseline_memory) is the process as it was before the server
 * was created: its RSS outside V8's heap and external memory, plus V8's live heap and
 * external memory then. RSS = baseline + used_memory + what V8 holds beyond the live data
 * (garbage until the next full GC, free pages, the young generation). From the command
 * line (a process that is lapse's own), that last part is kept small by growing V8's
 * heap in small steps (20% over the live heap, at least 64 MB without maxmemory: heap.ts),
 * and by the Reclaimer, which collects garbage when the server is quiet
 * or after a large deletion (reclaim.ts).
 *
 * Eviction follows Redis's performEvictions: before each command, while used memory is
 * over maxmemory, keys are evicted by the policy; each call spends at most the time
 * maxmemory-eviction-tenacity allows (500 us at the default 10) and then goes on in the
 * background on the next turns of the event loop, as Redis's eviction time proc does.
 */

/** A drop of the keys' bytes since the last cron tick past which a GC observed now is not trusted (calibrateAfterGc). */
const STALE_GC_DATASET_DROP = 16 * 1024 * 1024;

/** How the server's Memory is set up (see ServerOptions.ownsProcess). */
export interface MemoryOptions {
  /** The process is lapse's own (the CLI): anchor used_memory at full GCs, reclaim when quiet. */
  ownsProcess: boolean;
  /** Heap and external memory in use before the server was created (processMemoryBefore). */
  before: ProcessMemory;
  /** Bytes in the clients' query and output buffers now. */
  clientBuffers: () => number;
  /**
   * Memory the server holds that used_memory leaves out, as Redis leaves out its Lua
   * states' (reported as used_memory_lua): the Lua engine's WebAssembly memory, which V8
   * counts as external memory (16 MiB reserved at start).
   */
  uncounted?: () => number;
}

/** The process's memory before a server is created: taken first thing by its constructor. */
export interface ProcessMemory {
  /** RSS outside V8's heap and external memory. */
  native: number;
  /** V8's heap in use (all spaces) plus external memory. */
  heap: number;
}

/**
 * The process's memory now, for MemoryOptions.before; after a full GC when the process is
 * lapse's own, so that startup garbage is not taken for the baseline (~3 ms at start-up).
 */
export function processMemoryBefore(ownsProcess: boolean): ProcessMemory {
  if (ownsProcess) exposeGc()?.();
  const m = process.memoryUsage();
  return { native: Math.max(0, m.rss - m.heapTotal - m.external), heap: heapInUse() };
}

/**
 * What creating an embedded server allocates, estimated: it cannot be measured there
 * (no GC may be forced in the host's process, and a young-generation GC during the
 * constructor made the difference of two heap readings 0). Measured with node 20
 * --expose-gc, a full GC before and after createServer, 1 to 64 databases: ~150 KB plus
 * ~32 KB per database (its map and its timer wheel's slot lists).
 */
const STARTUP_BYTES = 150 * 1024;
const DATABASE_BYTES = 32 * 1024;

/** Redis's evictionTimeLimitUs: how long one call may evict, by maxmemory-eviction-tenacity. */
function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
  return Infinity;
}

const MB = 1024 * 1024;
/** How many readings of V8's own full GCs `gained` is the least of (calibrate). */
const GAINED_WINDOW = 4;

/**
 * The V8 heap limit a maxmemory needs, bytes: the data, V8's heap growth over it (20%)
 * and room for the young generation and the process's own heap. bin/lapse gives node a
 * limit of the machine's memory, which covers any maxmemory the machine can hold.
 */
export function heapLimitFor(maxmemory: number): number {
  return Math.ceil((maxmemory * 1.25) / MB) * MB + 256 * MB;
}

export class Memory implements MemoryContext {
  /** The process before the server was created (INFO lapse_baseline_memory). */
  readonly baseline: number;
  readonly startup: number;
  /** The Reclaimer, when the process is lapse's own. */
  readonly reclaimer: Reclaimer | null;
  /** `gained` in the file comment. */
  private gained = 0;
  /** The last readings of `gained` since an exact one (calibrate). */
  private readonly recentGained: number[] = [];
  /** liveMemory at the last calibration, and the dataset then. */
  private liveAtGc: number;
  private datasetAtGc: number;
  /** liveMemory and the dataset after construction: where `gained` counts from. */
  private readonly liveStart: number;
  private readonly datasetStart: number;
  private clients = 0;
  /** The keys' bytes at the last cron tick (calibrateAfterGc). */
  private datasetAtTick = 0;
  private readonly ownsProcess: boolean;
  private readonly clientBuffers: () => number;
  private readonly uncounted: () => number;
  private readonly evictor: Evictor;
  /** V8's gc(), obtained when first needed (undefined until then). */
  private gcFunction: (() => void) | null | undefined;
  private readonly stopObserving: () => void;
  /** A background eviction is scheduled (Redis's isEvictionProcRunning). */
  private evictionScheduled = false;
  /** When used memory went over maxmemory (monotonic ms), or -1 while under. */
  private overSince = -1;
  private exceededTotal = 0;
  private closed = false;
  /** The heap limit maxmemory was last warned about (one warning per value). */
  private warnedLimitFor = 0;
  /** The heap_growing_percent last given to V8 (0: none yet). */
  private heapGrowth = 0;
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
    options: MemoryOptions,
  ) {
    this.ownsProcess = options.ownsProcess;
    this.clientBuffers = options.clientBuffers;
    this.uncounted = options.uncounted ?? (() => 0);
    if (this.ownsProcess) this.gc?.();
    this.baseline = options.before.native + options.before.heap;
    this.startup =
      this.ownsProcess && this.gc !== null
        ? Math.max(0, heapInUse() - options.before.heap)
        : STARTUP_BYTES + DATABASE_BYTES * keyspace.dbs.length;
    this.liveStart = this.liveNow();
    this.liveAtGc = this.liveStart;
    this.datasetStart = this.datasetAtGc = keyspace.datasetBytes;
    this.evictor = new Evictor(keyspace);
    this.stopObserving = this.ownsProcess ? onFullGc(() => this.calibrateAfterGc()) : () => undefined;
    this.reclaimer = this.ownsProcess && this.gc !== null ? new Reclaimer(this.reclaimProbe()) : null;
    this.readConfig();
  }

  get maxmemory(): number {
    return this.max;
  }

  /**
   * Live memory after a GC: the heap's old generation and external memory, plus what
   * the keyspace's stores hold in ArrayBuffers (which liveMemory leaves out with the
   * clients' buffers), minus what is not counted.
   */
  private liveNow(): number {
    return liveMemory() + this.storesLive() - this.uncounted();
  }

  /**
   * What the keyspace's stores hold live outside the heap, less their mapped records,
   * which liveMemory() already counts (V8 has them as external memory, Node not in
   * arrayBuffers), plus their shared arenas' bytes, which liveMemory() subtracts
   * (Node counts them in arrayBuffers, V8 not in external memory: see BufferCount),
   * plus the large collections' arrays and lists' node buffers (which liveMemory()
   * leaves out, and subtracts those of them that are shared: see BufferCount).
   */
  private storesLive(): number {
    const arenas = this.keyspace.hashEncoding.arenas!;
    return this.keyspace.heldBytes - this.keyspace.mappedBytes + this.keyspace.sharedBytes.bytes + arenas.bytes + arenas.sharedBytes;
  }

  /** A lapse-initiated GC ran: calibrate again at the next cron tick (see cron()). */
  private recalibrate = false;

  /** A full, atomic GC, or null if V8 refuses (see exposeGc). */
  private get gc(): (() => void) | null {
    if (this.gcFunction === undefined) this.gcFunction = exposeGc();
    return this.gcFunction;
  }

  /** used_memory (see the file comment). */
  used(): number {
    return Math.max(0, this.startup + this.gained + this.keyspace.datasetBytes) + this.clients;
  }

  /** The estimated bytes of the keys (used_memory_dataset). */
  dataset(): number {
    return this.keyspace.datasetBytes;
  }

  /** Bytes in the clients' buffers, as used_memory counts them (last sampled). */
  clientsMemory(): number {
    return this.clients;
  }

  /**
   * Re-anchors used memory to the real heap, after a full GC (from the command line only).
   * `exact`: the GC was lapse's own, atomic, and ran just now. A GC V8 started itself
   * was incremental and is observed a task later: objects that died while it marked or
   * since (values replaced or evicted meanwhile) still count in liveMemory while the
   * dataset estimate has already dropped them, so its reading is too high by a varying
   * amount (1 KB values at maxmemory 100mb under a loaded machine: ~5 MB, 5% fewer keys
   * kept). That error is only ever upward, so `gained` is the least of the last few such
   * readings; an exact one starts the window anew.
   */
  calibrate(exact: boolean): void {
    if (!this.ownsProcess) return;
    this.liveAtGc = this.liveNow();
    this.datasetAtGc = this.keyspace.datasetBytes;
    const gained = this.liveAtGc - this.liveStart - (this.datasetAtGc - this.datasetStart);
    const window = this.recentGained;
    if (exact) window.length = 0;
    else if (window.length === GAINED_WINDOW) window.shift();
    window.push(gained);
    this.gained = Math.min(...window);
    this.tuneHeapGrowth();
  }

  /** V8's heap growth for the live heap of the last full GC and maxmemory (heap.ts), when lapse owns the process. */
  private tuneHeapGrowth(): void {
    if (!this.ownsProcess) return;
    const percent = heapGrowingPercent(this.liveAtGc, this.max > 0);
    if (percent === this.heapGrowth) return;
    this.heapGrowth = percent;
    setHeapGrowingPercent(percent);
  }

  /**
   * A full GC V8 ran by itself, observed after the fact (heap.ts onFullGc): calibrates,
   * unless the keys shrank a lot since the last cron tick. The GC may then have marked
   * the deleted values alive just before a FLUSHALL, and the heap read now still holds
   * them: anchoring live memory there (with the dataset already at 0) would count
   * hundreds of MB of garbage as live, and the Reclaimer would never give them back.
   */
  private calibrateAfterGc(): void {
    const dropped = this.datasetAtTick - this.keyspace.datasetBytes;
    if (dropped > Math.max(STALE_GC_DATASET_DROP, this.datasetAtTick / 2)) return;
    this.calibrate(false);
  }

  /** MEMORY PURGE: a full GC, then used memory re-anchored. */
  purge(): void {
    if (this.gc === null) return;
    this.collectNow();
  }

  /** lapse's own full GC: what the stores let go is gone; calibrated now and again a tick later (see cron()). */
  private collectNow(): void {
    this.gc!();
    this.keyspace.garbageCollected();
    this.calibrate(true);
    this.recalibrate = true;
  }

  /**
   * The server's cron, 10 times a second: samples the clients' buffers, evicts if a
   * calibration found memory over the limit while no command came, and lets the
   * Reclaimer give memory back.
   */
  cron(commandsProcessed: number): void {
    this.clients = this.clientBuffers();
    if (this.recalibrate) {
      // V8 frees the backing stores of dead ArrayBuffers (the keyspace's dropped slab
      // segments) on a sweeper thread after the GC, and its external_memory drops only
      // when a later GC finalizes that sweep, while Node's arrayBuffers count drops at
      // once: liveMemory() read the difference as live (used_memory 354 MB, for ever,
      // after a FLUSHALL of 600 MB on an idle server). So a tick later a second GC
      // finalizes it, and memory is calibrated again. Cheap: the keys are not on the heap.
      this.recalibrate = false;
      this.gc?.();
      this.calibrate(true);
    }
    this.datasetAtTick = this.keyspace.datasetBytes;
    if (this.max > 0 && this.used() > this.max) this.performEvictions();
    this.reclaimer?.tick(this.clock.monotonic(), commandsProcessed);
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
    // A replica with replica-ignore-maxmemory leaves evictions to its primary's DELs.
    if (this.keyspace.followsPrimary && this.config.bool('replica-ignore-maxmemory')) return 'ok';
    // While clients are paused the dataset stays as it is (Redis's isSafeToPerformEvictions).
    if (this.keyspace.frozen) return 'ok';
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
      if (!this.evictor.evictOne(policy, samples)) {
        this.evictionCycleTook(start);
        return 'fail';
      }
      used = this.used();
      if (++freedKeys % 16 === 0 && this.clock.monotonic() - start > limitMs) {
        this.scheduleEviction();
        this.evictionCycleTook(start);
        return 'running';
      }
    }
    this.underLimit();
    this.evictionCycleTook(start);
    return 'ok';
  }

  /** Set by the server: how long each eviction cycle took (the latency monitor's eviction-cycle), ms. */
  onEvictionCycle: ((elapsedMs: number) => void) | null = null;

  private evictionCycleTook(start: number): void {
    if (this.onEvictionCycle !== null) this.onEvictionCycle(this.clock.monotonic() - start);
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
    this.heapSettings();
    this.performEvictions();
  }

  /** At start-up: the warning Redis gives for a very small maxmemory; V8's heap settings. */
  start(): void {
    const max = this.maxmemory;
    if (max <= 0) return;
    if (max < 1024 * 1024) {
      this.log('warning', `WARNING: You specified a maxmemory value that is less than 1MB (current value is ${this.config.get('maxmemory')} bytes). Are you sure this is what you really want?`);
    }
    this.heapSettings();
  }

  close(): void {
    this.closed = true;
    this.stopObserving();
  }

  /**
   * With maxmemory set: one warning when V8's heap limit is too small for maxmemory (an
   * embedded server, or `node dist/cli.js` without bin/lapse): node would die with
   * "JavaScript heap out of memory" before eviction could keep the data within maxmemory.
   */
  private heapSettings(): void {
    const needed = heapLimitFor(this.max);
    if (needed <= heapLimit() || this.warnedLimitFor === this.max) return;
    this.warnedLimitFor = this.max;
    this.log(
      'warning',
      `WARNING: maxmemory (${this.max} bytes) needs a V8 heap limit of ${needed / MB} MB and this process has ${Math.floor(heapLimit() / MB)} MB: ` +
        'node would run out of heap before eviction keeps the data within maxmemory. Start lapse with bin/lapse (it sets the limit to ' +
        `the machine's memory) or give node --max-old-space-size=${needed / MB}.`,
    );
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
    this.tuneHeapGrowth();
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

  /** The Reclaimer's view of the heap: the live estimate is the last calibration plus the keys' change since. */
  private reclaimProbe() {
    return {
      live: () => this.liveAtGc + this.keyspace.datasetBytes - this.datasetAtGc,
      inUse: () => liveMemory() + this.storesLive() + this.keyspace.garbageBytes,
      garbage: () => this.keyspace.garbageBytes,
      // The clients' buffers are held, but no GC gives them back.
      // The live stores' segments are held too, but a GC gives back only what dropped
      // stores (FLUSHALL) and released segments left: they count at their live bytes.
      // The shared arenas and lists' node buffers are not in V8's external memory
      // (heapHeld): their bytes are added, live or dropped and not collected yet.
      held: () => heapHeld() - this.clients - this.keyspace.slabBytes + this.keyspace.heldBytes + this.keyspace.sharedBytes.bytes + this.keyspace.hashEncoding.arenas!.sharedBytes,
      collect: () => {
        const t = performance.now();
        this.collectNow();
        return performance.now() - t;
      },
    };
  }
}
