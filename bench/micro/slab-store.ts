/**
 * SlabStore (src/keyspace/store/slab-store.ts) on its own: what a session record costs,
 * how fast records are written and copied, and whether memory comes back.
 *
 *   npx tsx bench/micro/slab-store.ts [records=1000000]
 *
 * Each memory scenario runs in a child process of its own (node --expose-gc), so RSS
 * figures do not carry over from one to the next:
 * - sessions: `records` records of 1 + 37 + 230 bytes (key length byte, key, value),
 *   written with writeString; RSS and arrayBuffers grown, per record, after full GCs;
 *   alloc+write ns per record. Against the same data as two flat latin1 strings per
 *   session held in two arrays (the least a JS heap can do; a Map would add more).
 * - segment sizes 256 KiB .. 4 MiB: bytes held per session, alloc+write ns, and the
 *   worst segmentBytes / liveBytes of a churn run at each size.
 * - burst: 1M sessions and 300 values of 1 MiB, all freed; RSS before, at the peak,
 *   right after the frees, after 10 s idle (no GC asked for: what V8 does by itself),
 *   then after gc().
 * - churn: a steady population of ~200 MB of records of 100 B .. 20 KB, 5% (~10 MB) replaced per
 *   round, compact(8 MiB) per round; RSS after GC every 100 rounds.
 * Copies run in this process: the ways to copy 37 and 230 bytes (and a few other sizes)
 * out of and into a segment, median of 5 runs of 1M copies.
 * No redis-server here: this measures the store's code only; 2 shared cores, noisy.
 *
 * A run (1M records, node 20, 2 shared cores, load ~4):
 *   two latin1 strings in two arrays: rss 372.6 B/session (V8 heap 319.7)
 *   1 MiB malloc segments: rss 269.5 B/session, arrayBuffers 276.8 (268 + 8.8 of header
 *   and padding), alloc+write 695 ns fresh (page faults included), 120 ns reused;
 *   256 KiB..4 MiB mapped: 276-278 rss, churn worst held/live 1.42 (256 KiB) .. 1.63 (4 MiB).
 *   burst 1M sessions + 300 x 1 MiB freed: rss 644 -> 85 MB within 2 s idle (malloc),
 *   643 -> 67 MB only at ~10 s (mapped: waits for V8's memory reducer GC).
 *   churn 500 rounds: held/live ~1.43; rss flat, 349 MB mapped vs ~430 MB malloc.
 *   copies (ns): 37 B loop 128, loop x4 61, set(subarray) 117, Buffer.copy 129;
 *   230 B loop 589, loop x4 304, set 122, Buffer.copy 74; latin1Write 37 B 107, 230 B 79;
 *   latin1Slice 37 B 127, 230 B 69.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SlabStore, type Relocator } from '../../src/keyspace/store/slab-store.js';
import { rng } from '../../test/helpers/rng.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const MODE = process.argv[3] ?? 'main';
const MB = 1024 * 1024;

interface Latin1Buffer extends Buffer {
  latin1Write(s: string, offset: number, length: number): number;
  latin1Slice(start: number, end: number): string;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('child runs need --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

function mem(): { rss: number; ab: number; heap: number } {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, ab: m.arrayBuffers, heap: m.heapUsed };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A pool of distinct session-like keys and values (flat latin1 strings), reused cyclically. */
function pool(n: number, length: number, seed: number): string[] {
  const rnd = rng(seed);
  const buf = Buffer.allocUnsafe(length) as Latin1Buffer;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < length; j++) buf[j] = 32 + Math.floor(rnd() * 95);
    out.push(buf.latin1Slice(0, length));
  }
  return out;
}

class Refs implements Relocator {
  refs: Int32Array;
  constructor(n: number) {
    this.refs = new Int32Array(n);
  }
  moved(owner: number, _oldRef: number, newRef: number): void {
    this.refs[owner] = newRef;
  }
}

// ---------------------------------------------------------------- child scenarios

function sessions(shift: number, mapped: boolean): void {
  const keys = pool(1024, 37, 1);
  const values = pool(1024, 230, 2);
  const before = mem();
  const store = new SlabStore({ segmentShift: shift, mappedBuffers: mapped });
  const refs = new Int32Array(RECORDS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) {
    const ref = store.alloc(268, i);
    const view = store.bytesOf(ref);
    view[store.offsetOf(ref)] = 37;
    store.writeString(ref, 1, keys[i & 1023]!);
    store.writeString(ref, 38, values[(i * 7) & 1023]!);
    refs[i] = ref;
  }
  const ns = Number(process.hrtime.bigint() - t0) / RECORDS;
  const after = mem();
  const perRecord = (after.rss - before.rss - refs.byteLength) / RECORDS;
  const abPerRecord = (after.ab - before.ab - refs.byteLength) / RECORDS;
  const held = store.segmentBytes / RECORDS;
  // Steady state: free and re-allocate a record of the same size (memory already touched).
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) {
    store.free(refs[i]!);
    const ref = store.alloc(268, i);
    store.writeString(ref, 38, values[(i * 7) & 1023]!);
    refs[i] = ref;
  }
  const steadyNs = Number(process.hrtime.bigint() - t1) / RECORDS;
  // Churn at this segment size: worst held / live over 100 rounds of 5% replaced.
  const churn = churnRun(store, shift, 100, false, mapped);
  console.log(JSON.stringify({ shift, ns, steadyNs, perRecord, abPerRecord, held, churn }));
}

/** Rounds of churn on a fresh store (returns the worst segmentBytes / liveBytes); `report` logs RSS every 100 rounds. */
function churnRun(_previous: SlabStore | null, shift: number, rounds: number, report: boolean, mapped: boolean): number {
  if (_previous !== null) _previous.clear();
  gc();
  const rnd = rng(17);
  const store = new SlabStore({ segmentShift: shift, mappedBuffers: mapped });
  const population = 20_000; // ~200 MB of 100 B .. 20 KB
  const refs = new Refs(population);
  const size = () => 100 + Math.floor(rnd() * 19_900);
  const fill = (ref: number) => {
    const at = store.offsetOf(ref);
    store.bytesOf(ref).fill(0x61, at, at + store.lengthOf(ref)); // touch the pages, as a SET would
    return ref;
  };
  for (let i = 0; i < population; i++) refs.refs[i] = fill(store.alloc(size(), i));
  let worst = 0;
  const rss0 = mem().rss;
  const t0 = Date.now();
  const lines: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (let k = 0; k < population / 20; k++) {
      const owner = Math.floor(rnd() * population);
      store.free(refs.refs[owner]!);
      refs.refs[owner] = fill(store.alloc(size(), owner));
    }
    store.compact(8 * MB, refs); // ~10 MB replaced a round: compaction moves up to 8 MiB
    worst = Math.max(worst, store.segmentBytes / store.liveBytes);
    if (report && round % 100 === 0) {
      const m = mem();
      lines.push(
        `  round ${String(round).padStart(4)}: rss ${(m.rss / MB).toFixed(0).padStart(4)} MB (start ${(rss0 / MB).toFixed(0)}), ` +
          `live ${(store.liveBytes / MB).toFixed(0)} MB, held ${(store.segmentBytes / MB).toFixed(0)} MB, ` +
          `held/live ${(store.segmentBytes / store.liveBytes).toFixed(3)}, ${((Date.now() - t0) / round).toFixed(1)} ms/round`,
      );
    }
  }
  if (report) console.log(lines.join('\n'));
  return worst;
}

function strings(): void {
  const keys = pool(1024, 37, 1);
  const values = pool(1024, 230, 2);
  const before = mem();
  const ks: string[] = new Array(RECORDS);
  const vs: string[] = new Array(RECORDS);
  const kb = Buffer.allocUnsafe(37) as Latin1Buffer;
  const vb = Buffer.allocUnsafe(230) as Latin1Buffer;
  for (let i = 0; i < RECORDS; i++) {
    // Distinct flat strings, as a parser would make them from the socket's bytes.
    kb.latin1Write(keys[i & 1023]!, 0, 37);
    vb.latin1Write(values[(i * 7) & 1023]!, 0, 230);
    kb[0] = i & 0xff;
    vb[0] = (i >> 8) & 0xff;
    ks[i] = kb.latin1Slice(0, 37);
    vs[i] = vb.latin1Slice(0, 230);
  }
  const after = mem();
  console.log(JSON.stringify({ perRecord: (after.rss - before.rss) / RECORDS, heapPerRecord: (after.heap - before.heap) / RECORDS, keep: ks.length + vs.length }));
}

async function burst(mapped: boolean): Promise<void> {
  const values = pool(1024, 230, 2);
  const line = (name: string, rss: number) => console.log(`  ${name.padEnd(34)} rss ${(rss / MB).toFixed(0).padStart(5)} MB`);
  const base = mem().rss;
  line('before', base);
  const store = new SlabStore({ mappedBuffers: mapped });
  const refs = new Int32Array(RECORDS);
  for (let i = 0; i < RECORDS; i++) {
    refs[i] = store.alloc(268, i);
    store.writeString(refs[i]!, 38, values[i & 1023]!);
  }
  const big: number[] = [];
  for (let i = 0; i < 300; i++) {
    const ref = store.alloc(MB, RECORDS + i);
    store.bytesOf(ref).fill(i & 0xff); // touch the pages
    big.push(ref);
  }
  line(`peak (${(store.segmentBytes / MB).toFixed(0)} MB held)`, process.memoryUsage().rss);
  for (let i = 0; i < RECORDS; i++) store.free(refs[i]!);
  for (const ref of big) store.free(ref);
  line(`all freed (${(store.segmentBytes / MB).toFixed(0)} MB held)`, process.memoryUsage().rss);
  for (let s = 1; s <= 10; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (s % 2 === 0) line(`idle ${s} s, no gc asked`, process.memoryUsage().rss);
  }
  line('after gc()', mem().rss);
}

// ---------------------------------------------------------------- copies (in process)

function copies(): void {
  const N = 1_000_000;
  const seg = Buffer.from(new ArrayBuffer(MB)) as Latin1Buffer;
  for (let i = 0; i < MB; i++) seg[i] = 32 + (i % 95);
  const target = Buffer.allocUnsafe(1 << 16) as Latin1Buffer;
  const store = new SlabStore(); // malloc'd buffers, the default
  const ref = store.alloc(4096, 1);
  store.bytesOf(ref).fill(65, store.offsetOf(ref), store.offsetOf(ref) + 4096);

  function loop(p: number, q: number, n: number): void {
    for (let i = 0; i < n; i++) target[q + i] = seg[p + i]!;
  }
  function loop4(p: number, q: number, n: number): void {
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      target[q + i] = seg[p + i]!;
      target[q + i + 1] = seg[p + i + 1]!;
      target[q + i + 2] = seg[p + i + 2]!;
      target[q + i + 3] = seg[p + i + 3]!;
    }
    for (; i < n; i++) target[q + i] = seg[p + i]!;
  }
  function setSub(p: number, q: number, n: number): void {
    target.set(seg.subarray(p, p + n), q);
  }
  function bufCopy(p: number, q: number, n: number): void {
    seg.copy(target, q, p, p + n);
  }
  function strLoop(s: string, q: number): void {
    for (let i = 0; i < s.length; i++) target[q + i] = s.charCodeAt(i);
  }
  function time(run: () => number): number {
    const times: number[] = [];
    for (let r = 0; r < 6; r++) {
      const t0 = process.hrtime.bigint();
      run();
      if (r > 0) times.push(Number(process.hrtime.bigint() - t0) / N);
    }
    return median(times);
  }
  console.log('copies, ns per copy (median of 5 runs of 1M; odd offsets):');
  console.log('  bytes   loop  loop x4  set(subarray)  Buffer.copy  store.copyTo | charCodeAt loop  latin1Write  store.writeString | latin1Slice  store.readString');
  for (const n of [8, 16, 32, 37, 64, 230, 1024]) {
    const s = seg.latin1Slice(1001, 1001 + n);
    const f = (x: number) => x.toFixed(0).padStart(6);
    const a = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; loop(1001 + (k & 255), q, n); x += target[q]!; } return x; });
    const a4 = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; loop4(1001 + (k & 255), q, n); x += target[q]!; } return x; });
    const b = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; setSub(1001 + (k & 255), q, n); x += target[q]!; } return x; });
    const c = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; bufCopy(1001 + (k & 255), q, n); x += target[q]!; } return x; });
    const d = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; store.copyTo(ref, k & 255, (k & 255) + n, target, q); x += target[q]!; } return x; });
    const e = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; strLoop(s, q); x += target[q]!; } return x; });
    const g = time(() => { let x = 0; for (let k = 0; k < N; k++) { const q = ((k & 1023) << 2) + 1; x += target.latin1Write(s, q, n); } return x; });
    const h = time(() => { let x = 0; for (let k = 0; k < N; k++) { store.writeString(ref, (k & 1023) + 1, s); x += k; } return x; });
    const i = time(() => { let x = 0; for (let k = 0; k < N; k++) { const p = 1001 + (k & 255); x += seg.latin1Slice(p, p + n).length; } return x; });
    const j = time(() => { let x = 0; for (let k = 0; k < N; k++) { const p = k & 255; x += store.readString(ref, p, p + n).length; } return x; });
    console.log(`  ${String(n).padStart(5)} ${f(a)} ${f(a4).padStart(8)} ${f(b).padStart(14)} ${f(c).padStart(12)} ${f(d).padStart(13)} | ${f(e).padStart(15)} ${f(g).padStart(12)} ${f(h).padStart(18)} | ${f(i).padStart(11)} ${f(j).padStart(17)}`);
  }
}

// ---------------------------------------------------------------- driver

function child(mode: string, ...args: string[]): string {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', self, String(RECORDS), mode, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
  return r.stdout.trim();
}

if (MODE === 'sessions') sessions(Number(process.argv[4]), process.argv[5] === 'mapped');
else if (MODE === 'strings') strings();
else if (MODE === 'burst') await burst(process.argv[4] === 'mapped');
else if (MODE === 'churn') churnRun(null, 20, Number(process.argv[4]), true, process.argv[5] === 'mapped');
else {
  console.log(`${RECORDS} sessions of 1 + 37 + 230 bytes (268 payload bytes):`);
  const js = JSON.parse(child('strings')) as { perRecord: number; heapPerRecord: number };
  console.log(`  two latin1 strings in two arrays: rss ${js.perRecord.toFixed(1)} B/session (V8 heap ${js.heapPerRecord.toFixed(1)})`);
  console.log('         segment  rss B/session  arrayBuffers B/session  held B/session  alloc+write ns (fresh, reused)  churn worst held/live');
  for (const [shift, mapped] of [[18, 'mapped'], [19, 'mapped'], [20, 'mapped'], [21, 'mapped'], [22, 'mapped'], [20, 'malloc']] as const) {
    const r = JSON.parse(child('sessions', String(shift), mapped)) as { ns: number; steadyNs: number; perRecord: number; abPerRecord: number; held: number; churn: number };
    console.log(
      `  ${(2 ** (shift - 10) + ' KiB ' + mapped).padStart(15)} ${r.perRecord.toFixed(1).padStart(14)} ${r.abPerRecord.toFixed(1).padStart(23)} ${r.held.toFixed(1).padStart(15)} ${r.ns.toFixed(0).padStart(22)}, ${r.steadyNs.toFixed(0).padStart(6)} ${r.churn.toFixed(3).padStart(22)}`,
    );
  }
  for (const mapped of ['mapped', 'malloc']) {
    console.log(`burst (${RECORDS} sessions + 300 x 1 MiB, then all freed; ${mapped} buffers):`);
    console.log(child('burst', mapped));
  }
  for (const mapped of ['mapped', 'malloc']) {
    console.log(`churn (~200 MB of 100 B .. 20 KB records, 5% replaced a round, 1 MiB segments, ${mapped} buffers):`);
    console.log(child('churn', '500', mapped));
  }
  copies();
}
