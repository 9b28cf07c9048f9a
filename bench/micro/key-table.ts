/**
 * KeyTable and the key hash (src/keyspace/store/) against a JS Map<string, number>, at
 * 1M session-like keys: 37-byte latin1 strings ("sess:" + 32 base64url chars), ids 0..N-1.
 *
 *   node --expose-gc --import tsx bench/micro/key-table.ts [keys=1000000] [rounds=3]
 *
 * Figures are the median of `rounds` rounds (ns per operation). Lookups use fresh copies
 * of the keys made before each round (a server looks up a key it has just parsed, so V8
 * has no cached string hash for Map.get and the matcher compares two distinct strings),
 * in a shuffled order (no cache-friendly sequential walk). The matcher reads the keys
 * from a JS array (keys[id] === key), the same array the Map's keys live in, so memory
 * figures are for the index alone: KeyTable.bytes, and the Map's heap growth (needs
 * --expose-gc; without it the Map figure is skipped).
 *
 * The layout section compares, with the same minimal linear-probing code at the same
 * capacity, one interleaved Int32Array [hash, id+1] against two columns (hashes, ids).
 *
 * No redis-server here: this measures lapse's code only; timings on a shared machine
 * are noisy.
 */
import { hashBytes, hashString } from '../../src/keyspace/store/key-hash.js';
import { KeyTable, type KeyMatcher } from '../../src/keyspace/store/key-table.js';
import { rng } from '../../test/helpers/rng.js';

const N = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const SEED = 0x1234567;
const gc = (globalThis as { gc?: () => void }).gc;

const random = rng(1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A flat one-byte string, as a key parsed from a socket (Buffer.toString('latin1')) is; `+=` would leave a rope. */
function sessionKey(): string {
  let s = 'sess:';
  for (let i = 0; i < 32; i++) s += ALPHABET[Math.floor(random() * 64)];
  return Buffer.from(s, 'latin1').toString('latin1');
}

const keys = Array.from({ length: N }, sessionKey);
const absent = Array.from({ length: N }, sessionKey);
const KEY_LENGTH = 37;
const keyBytes = Buffer.from(keys.join(''), 'latin1');
const hashes = new Uint32Array(N);
for (let i = 0; i < N; i++) hashes[i] = hashString(SEED, keys[i]!);
const absentHashes = Uint32Array.from(absent, (k) => hashString(SEED, k));
const order = Int32Array.from({ length: N }, (_, i) => i);
for (let i = N - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  const t = order[i]!;
  order[i] = order[j]!;
  order[j] = t;
}

/** Fresh (flat, distinct) copies of strings, in `order`. */
function freshCopies(from: string[]): string[] {
  const out = new Array<string>(N);
  for (let i = 0; i < N; i++) out[i] = Buffer.from(from[order[i]!]!, 'latin1').toString('latin1');
  return out;
}

class ArrayMatcher implements KeyMatcher<string> {
  constructor(private readonly keys: string[]) {}
  matches(id: number, key: string): boolean {
    return this.keys[id] === key;
  }
}
const matcher = new ArrayMatcher(keys);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `body` ROUNDS times after `prepare`, prints the median ns per op. */
function measure<T>(name: string, prepare: () => T, body: (input: T) => number): number {
  const times: number[] = [];
  let check = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const input = prepare();
    const t0 = process.hrtime.bigint();
    check += body(input);
    times.push(Number(process.hrtime.bigint() - t0) / N);
  }
  const ns = median(times);
  console.log(`${name.padEnd(52)} ${ns.toFixed(1).padStart(7)} ns/op   (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})${check === -1 ? '' : ''}`);
  return ns;
}

console.log(`${N} keys of ${KEY_LENGTH} bytes, ${ROUNDS} rounds, node ${process.version}\n`);

console.log('hash, 1024 keys hashed N/1024 times over (in cache: the cost of the mixing alone)');
const SMALL = 1024;
const smallKeys = keys.slice(0, SMALL);
const smallBytes = new Uint8Array(keyBytes.subarray(0, SMALL * KEY_LENGTH));
measure('hashString (37-byte latin1 string)', () => null, () => {
  let x = 0;
  for (let r = 0; r < N / SMALL; r++) for (let i = 0; i < SMALL; i++) x ^= hashString(SEED, smallKeys[i]!);
  return x;
});
measure('hashBytes (37 bytes of a Uint8Array)', () => null, () => {
  let x = 0;
  for (let r = 0; r < N / SMALL; r++) for (let i = 0, at = 0; i < SMALL; i++, at += KEY_LENGTH) x ^= hashBytes(SEED, smallBytes, at, at + KEY_LENGTH);
  return x;
});

console.log('\ninsert N keys into an empty index (growing from its minimum)');
measure('KeyTable.insert (hash given)', () => null, () => {
  const table = new KeyTable<string>(matcher);
  for (let i = 0; i < N; i++) table.insert(hashes[i]!, i);
  return table.size;
});
measure('KeyTable.insert + hashString', () => null, () => {
  const table = new KeyTable<string>(matcher);
  for (let i = 0; i < N; i++) table.insert(hashString(SEED, keys[i]!), i);
  return table.size;
});
measure('KeyTable.insert after reserve(N)', () => null, () => {
  const table = new KeyTable<string>(matcher);
  table.reserve(N);
  for (let i = 0; i < N; i++) table.insert(hashes[i]!, i);
  return table.size;
});
measure('Map.set', () => null, () => {
  const map = new Map<string, number>();
  for (let i = 0; i < N; i++) map.set(keys[i]!, i);
  return map.size;
});

const table = new KeyTable<string>(matcher);
let peakBytes = 0;
for (let i = 0; i < N; i++) {
  table.insert(hashes[i]!, i);
  if (table.bytes > peakBytes) peakBytes = table.bytes;
}
while (table.rehashStep(1 << 16));
const map = new Map<string, number>();
for (let i = 0; i < N; i++) map.set(keys[i]!, i);

console.log('\nfind, N lookups in shuffled order, fresh key strings');
const shuffledHashes = Uint32Array.from(order, (i) => hashes[i]!);
measure('KeyTable.find hit (hash given)', () => freshCopies(keys), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += table.find(shuffledHashes[i]!, ks[i]!);
  return x;
});
measure('KeyTable.find hit + hashString', () => freshCopies(keys), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += table.find(hashString(SEED, ks[i]!), ks[i]!);
  return x;
});
measure('Map.get hit', () => freshCopies(keys), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += map.get(ks[i]!)!;
  return x;
});
const shuffledAbsentHashes = Uint32Array.from(order, (i) => absentHashes[i]!);
measure('KeyTable.find miss (hash given)', () => freshCopies(absent), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += table.find(shuffledAbsentHashes[i]!, ks[i]!);
  return x;
});
measure('KeyTable.find miss + hashString', () => freshCopies(absent), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += table.find(hashString(SEED, ks[i]!), ks[i]!);
  return x;
});
measure('Map.get miss', () => freshCopies(absent), (ks) => {
  let x = 0;
  for (let i = 0; i < N; i++) x += map.get(ks[i]!) ?? 0;
  return x;
});

console.log('\nmemory of the index alone (keys live in a shared JS array)');
console.log(`KeyTable: capacity ${table.capacity}, ${table.bytes} bytes = ${(table.bytes / N).toFixed(1)} bytes/key (peak while a resize drained: ${(peakBytes / N).toFixed(1)})`);
if (gc) {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const m = new Map<string, number>();
  for (let i = 0; i < N; i++) m.set(keys[i]!, i);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`Map<string, number>: ${((after - before) / N).toFixed(1)} bytes/key of V8 heap (size ${m.size})`);
} else {
  console.log('Map<string, number>: run with node --expose-gc for its heap figure');
}

// --- layout: the same minimal linear probing, interleaved vs two columns -------------
console.log('\nlayout: minimal linear probing at the same capacity, find with hash given, 7 rounds, min (median)');
const capacity = table.capacity;
const mask = capacity - 1;
const interleaved = new Int32Array(capacity * 2);
const hashColumn = new Int32Array(capacity);
const idColumn = new Int32Array(capacity);
for (let id = 0; id < N; id++) {
  const h = hashes[id]! | 0;
  let i = h & mask;
  while (interleaved[2 * i + 1] !== 0) i = (i + 1) & mask;
  interleaved[2 * i] = h;
  interleaved[2 * i + 1] = id + 1;
  i = h & mask;
  while (idColumn[i] !== 0) i = (i + 1) & mask;
  hashColumn[i] = h;
  idColumn[i] = id + 1;
}
function findInterleaved(hash: number, key: string): number {
  const h = hash | 0;
  let i = h & mask;
  for (;;) {
    const word = interleaved[2 * i + 1]!;
    if (word === 0) return -1;
    if (interleaved[2 * i] === h && matcher.matches(word - 1, key)) return word - 1;
    i = (i + 1) & mask;
  }
}
function findColumns(hash: number, key: string): number {
  const h = hash | 0;
  let i = h & mask;
  for (;;) {
    const word = idColumn[i]!;
    if (word === 0) return -1;
    if (hashColumn[i] === h && matcher.matches(word - 1, key)) return word - 1;
    i = (i + 1) & mask;
  }
}
/** Two columns, a miss reads the hash column first and the id column only to test emptiness at a hash match. */
function findColumnsHashFirst(hash: number, key: string): number {
  const h = hash | 0;
  let i = h & mask;
  for (;;) {
    const stored = hashColumn[i]!;
    if (stored === h) {
      const word = idColumn[i]!;
      if (word !== 0 && matcher.matches(word - 1, key)) return word - 1;
    } else if (stored === 0 && idColumn[i] === 0) {
      return -1;
    }
    i = (i + 1) & mask;
  }
}
// The variants run in turn within each round (noise on a shared machine hits them alike); min and median of 7 rounds.
const variants = [
  ['interleaved [hash, id]', findInterleaved],
  ['two columns, id column tested first', findColumns],
  ['two columns, hash column tested first', findColumnsHashFirst],
] as const;
const layoutTimes = variants.map(() => ({ hit: [] as number[], miss: [] as number[] }));
for (let r = 0; r < 7; r++) {
  const hits = freshCopies(keys);
  const misses = freshCopies(absent);
  variants.forEach(([, find], v) => {
    let x = 0;
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) x += find(shuffledHashes[i]!, hits[i]!);
    layoutTimes[v]!.hit.push(Number(process.hrtime.bigint() - t0) / N);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) x += find(shuffledAbsentHashes[i]!, misses[i]!);
    layoutTimes[v]!.miss.push(Number(process.hrtime.bigint() - t0) / N);
    if (x === 0.5) console.log(x);
  });
}
variants.forEach(([name], v) => {
  const { hit, miss } = layoutTimes[v]!;
  console.log(`${name.padEnd(40)} hit ${Math.min(...hit).toFixed(1).padStart(6)} ns (median ${median(hit).toFixed(1)})   miss ${Math.min(...miss).toFixed(1).padStart(6)} ns (median ${median(miss).toFixed(1)})`);
});

// --- probe lengths of linear probing (why not Robin Hood) ----------------------------
/** Mean slots read by a hit (displacement + 1) and by a miss from a random home (run to the first empty slot). */
function probeStats(slots: Int32Array, slotMask: number, stored: number): { hit: number; miss: number; longest: number } {
  let hitSum = 0;
  let longest = 0;
  for (let i = 0; i <= slotMask; i++) {
    if (slots[2 * i + 1] === 0) continue;
    const d = ((i - (slots[2 * i]! & slotMask)) & slotMask) + 1;
    hitSum += d;
    if (d > longest) longest = d;
  }
  let missSum = 0;
  for (let n = 0; n < 100_000; n++) {
    let i = Math.floor(random() * (slotMask + 1));
    let reads = 1;
    while (slots[2 * i + 1] !== 0) {
      i = (i + 1) & slotMask;
      reads++;
    }
    missSum += reads;
  }
  return { hit: hitSum / stored, miss: missSum / 100_000, longest };
}
console.log('\nprobe lengths (slots read; 8 slots = one 64-byte line)');
const atHalf = probeStats(interleaved, mask, N);
console.log(`load ${(N / capacity).toFixed(2)} (${N} keys, 2^${Math.log2(capacity)} slots): hit ${atHalf.hit.toFixed(2)}, miss ${atHalf.miss.toFixed(2)}, longest displacement ${atHalf.longest}`);
const fullCapacity = capacity / 2;
const fullMask = fullCapacity - 1;
const full = new Int32Array(fullCapacity * 2);
const fullCount = Math.min(N, Math.floor(fullCapacity * 0.75) - 1);
for (let id = 0; id < fullCount; id++) {
  const h = hashes[id]! | 0;
  let i = h & fullMask;
  while (full[2 * i + 1] !== 0) i = (i + 1) & fullMask;
  full[2 * i] = h;
  full[2 * i + 1] = id + 1;
}
const atMax = probeStats(full, fullMask, fullCount);
console.log(`load ${(fullCount / fullCapacity).toFixed(2)} (${fullCount} keys, 2^${Math.log2(fullCapacity)} slots): hit ${atMax.hit.toFixed(2)}, miss ${atMax.miss.toFixed(2)}, longest displacement ${atMax.longest}`);
