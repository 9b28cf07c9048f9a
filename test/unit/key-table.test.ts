import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { hashString } from '../../src/keyspace/store/key-hash.js';
import { KeyTable, MIGRATE_PER_OP, MIN_CAPACITY, type FreshArrays, type KeyMatcher } from '../../src/keyspace/store/key-table.js';
import { rng } from '../helpers/rng.js';

const SEED = 0x5eed;

/** How a key's hash is made: the real hash, or adversarial ones. */
type HashMode = 'murmur' | 'sameLowBits' | 'fewHashes' | 'oneHash';

function hashOf(mode: HashMode, key: string): number {
  const h = hashString(SEED, key);
  switch (mode) {
    case 'murmur':
      return h;
    case 'sameLowBits': // one home bucket at every capacity up to 2^16, different positions
      return ((h & 0xffff0000) | 0x1234) >>> 0;
    case 'fewHashes': // only 4 distinct full hashes
      return (h & 3) * 0x9e3779b1 >>> 0;
    case 'oneHash':
      return 0xdeadbeef;
  }
}

/** The store under test: a KeyTable plus the entries' keys by id (ids are never reused). */
class Harness implements KeyMatcher<string> {
  readonly table: KeyTable<string>;
  readonly keyOf: (string | undefined)[] = [];
  readonly model = new Map<string, number>();
  /** With an aux word per slot: what each id's slot must hold (KeyStore keeps a record's ref there). */
  readonly auxOf: number[] = [];
  matcherCalls = 0;

  constructor(readonly mode: HashMode, initialCapacity?: number, readonly withAux = false, fresh: FreshArrays | null = null) {
    this.table = new KeyTable<string>(this, initialCapacity, withAux, null, fresh);
  }

  matches(id: number, key: string, aux: number): boolean {
    this.matcherCalls++;
    const found = this.keyOf[id] === key;
    // The slot hands over its aux word with the id, however the entry moved since it was set.
    if (found && this.withAux) expect(aux, `aux of ${key}`).toBe(this.auxOf[id]);
    return found;
  }

  setAux(key: string, aux: number): void {
    const id = this.model.get(key);
    if (id === undefined) return;
    expect(this.table.setAux(this.hash(key), id, aux)).toBe(true);
    this.auxOf[id] = aux;
  }

  hash(key: string): number {
    return hashOf(this.mode, key);
  }

  insert(key: string): void {
    if (this.model.has(key)) return;
    const id = this.keyOf.length;
    this.keyOf.push(key);
    this.auxOf[id] = (id * 7919) | 0;
    this.table.insert(this.hash(key), id, this.auxOf[id]);
    this.model.set(key, id);
  }

  remove(key: string): void {
    const id = this.model.get(key);
    if (id === undefined) {
      // An id that was never stored under this hash: nothing to remove.
      expect(this.table.remove(this.hash(key), this.keyOf.length + 5)).toBe(false);
      return;
    }
    expect(this.table.remove(this.hash(key), id)).toBe(true);
    expect(this.table.remove(this.hash(key), id)).toBe(false);
    this.model.delete(key);
  }

  replace(key: string): void {
    const id = this.model.get(key);
    const newId = this.keyOf.length;
    this.keyOf.push(key);
    if (id === undefined) {
      expect(this.table.replace(this.hash(key), newId + 1, newId)).toBe(false);
      return;
    }
    expect(this.table.replace(this.hash(key), id, newId)).toBe(true);
    // The slot keeps its aux word.
    this.auxOf[newId] = this.auxOf[id]!;
    this.keyOf[id] = undefined;
    this.model.set(key, newId);
  }

  clear(): void {
    this.table.clear();
    this.model.clear();
  }

  checkFind(key: string): void {
    expect(this.table.find(this.hash(key), key)).toBe(this.model.get(key) ?? -1);
  }

  /** A full scan (count `count`) returns exactly the model's ids, each once. */
  checkScan(count: number): void {
    const seen: number[] = [];
    let cursor = 0;
    let calls = 0;
    do {
      cursor = this.table.scan(cursor, count, (id) => seen.push(id));
      expect(++calls).toBeLessThan(1e6);
    } while (cursor !== 0);
    expect(seen.length).toBe(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set(this.model.values()));
  }

  checkAll(keys: Iterable<string>): void {
    expect(this.table.size).toBe(this.model.size);
    for (const key of keys) this.checkFind(key);
    this.checkScan(10);
  }
}

const keyName = (i: number): string => `key:${i}`;

type Op =
  | { op: 'insert' | 'remove' | 'find' | 'replace'; key: number }
  | { op: 'setAux'; key: number; aux: number }
  | { op: 'fill'; from: number; n: number }
  | { op: 'drop'; n: number }
  | { op: 'clear' }
  | { op: 'reserve'; n: number }
  | { op: 'rehashStep'; buckets: number }
  | { op: 'scan'; count: number };

const KEYS = 3000;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ op: fc.constant('insert' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('remove' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('find' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), key: fc.nat(KEYS - 1) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('fill' as const), from: fc.nat(KEYS - 1), n: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('drop' as const), n: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reserve' as const), n: fc.nat(4000) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rehashStep' as const), buckets: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('setAux' as const), key: fc.nat(KEYS - 1), aux: fc.integer() }) },
);

function run(h: Harness, ops: Op[]): void {
  for (const o of ops) {
    switch (o.op) {
      case 'insert':
        h.insert(keyName(o.key));
        break;
      case 'remove':
        h.remove(keyName(o.key));
        break;
      case 'find':
        h.checkFind(keyName(o.key));
        break;
      case 'replace':
        h.replace(keyName(o.key));
        break;
      case 'fill':
        for (let i = 0; i < o.n; i++) h.insert(keyName((o.from + i) % KEYS));
        break;
      case 'drop': {
        const victims = [...h.model.keys()].slice(0, o.n);
        for (const key of victims) h.remove(key);
        break;
      }
      case 'clear':
        h.clear();
        expect(h.table.capacity).toBe(MIN_CAPACITY);
        break;
      case 'reserve':
        h.table.reserve(o.n);
        expect(h.table.capacity * 3).toBeGreaterThanOrEqual(o.n * 4);
        break;
      case 'rehashStep':
        h.table.rehashStep(o.buckets);
        break;
      case 'scan':
        h.checkScan(o.count);
        break;
      case 'setAux':
        if (h.withAux) h.setAux(keyName(o.key), o.aux);
        break;
    }
    expect(h.table.size).toBe(h.model.size);
    // Load stays at or under 3/4 of the insert table, whatever the history.
    expect(h.table.size * 4).toBeLessThanOrEqual(h.table.capacity * 3);
  }
  const probe = Array.from({ length: KEYS }, (_, i) => keyName(i));
  h.checkAll(probe);
}

describe('KeyTable against a model Map', () => {
  test('random insert/remove/find/replace/clear/reserve/rehashStep/scan sequences, several doublings and back', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => run(new Harness('murmur'), ops)),
      { numRuns: 60 },
    );
  });

  test('the same with keys all in one home bucket (same low 16 bits, different high bits)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(new Harness('sameLowBits'), ops)),
      { numRuns: 25 },
    );
  });

  test('the same with only 4 distinct full hashes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(new Harness('fewHashes'), ops)),
      { numRuns: 25 },
    );
  });

  test('with an aux word per slot: each entry keeps its own through inserts, removes (backward shifts), resizes and setAux', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => run(new Harness('murmur', undefined, true), ops)),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(new Harness('fewHashes', undefined, true), ops)),
      { numRuns: 25 },
    );
  });

  test('grows through several doublings and shrinks back to the minimum', () => {
    const h = new Harness('murmur');
    const capacities = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      h.insert(keyName(i));
      capacities.add(h.table.capacity);
    }
    expect(capacities.size).toBeGreaterThanOrEqual(10);
    h.checkAll(Array.from({ length: 20_100 }, (_, i) => keyName(i)));
    // Keep one key, so the shrinks are drains (an empty table is dropped at once).
    for (let i = 1; i < 20_000; i++) h.remove(keyName(i));
    while (h.table.rehashStep(100));
    expect(h.table.capacity).toBe(MIN_CAPACITY);
    expect(h.table.rehashing).toBe(false);
    expect(h.table.bytes).toBe(MIN_CAPACITY * 8);
    h.checkAll([keyName(0), keyName(1), keyName(2)]);
  });
});

describe('find compares hashes first', () => {
  test('the matcher is called only for slots with an equal hash', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 1000; i++) h.insert(keyName(i));
    h.matcherCalls = 0;
    for (let i = 0; i < 1000; i++) h.checkFind(keyName(i));
    expect(h.matcherCalls).toBe(1000);
    h.matcherCalls = 0;
    for (let i = 1000; i < 2000; i++) h.checkFind(keyName(i));
    expect(h.matcherCalls).toBe(0);
  });

  test('many keys with the same full hash are told apart by the matcher', () => {
    const h = new Harness('oneHash');
    for (let i = 0; i < 300; i++) h.insert(keyName(i));
    for (let i = 0; i < 300; i += 3) h.remove(keyName(i));
    h.checkAll(Array.from({ length: 400 }, (_, i) => keyName(i)));
  });
});

describe('SCAN', () => {
  test('positionOf is the bit-reversed hash, unsigned', () => {
    expect(KeyTable.positionOf(1)).toBe(2 ** 31);
    expect(KeyTable.positionOf(0x80000000)).toBe(1);
    expect(KeyTable.positionOf(0xffffffff)).toBe(0xffffffff);
    expect(KeyTable.positionOf(0)).toBe(0);
    expect(KeyTable.positionOf(0x0000ffff)).toBe(0xffff0000);
  });

  test('a scan visits positions >= cursor in increasing order of home bucket and returns the end of the range it covered', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 5000; i++) h.insert(keyName(i));
    while (h.table.rehashStep(1000));
    const bucketSpan = 2 ** 32 / h.table.capacity;
    let cursor = 0;
    let last = -1;
    do {
      const start = cursor;
      const visited: number[] = [];
      cursor = h.table.scan(cursor, 7, (id) => visited.push(id));
      const end = cursor === 0 ? 2 ** 32 : cursor;
      expect(end % bucketSpan).toBe(0);
      for (const id of visited) {
        const p = KeyTable.positionOf(h.hash(h.keyOf[id]!));
        expect(p).toBeGreaterThanOrEqual(start);
        expect(p).toBeLessThan(end);
        // Buckets come in increasing order; within a bucket the order is the run's.
        expect(Math.floor(p / bucketSpan)).toBeGreaterThanOrEqual(last);
        last = Math.floor(p / bucketSpan);
      }
      expect(visited.length > 0 || cursor === 0 || (end - start) / bucketSpan >= 70).toBe(true);
    } while (cursor !== 0);
  });

  test('a cursor in the middle of a bucket skips that bucket\'s lower positions (a cursor from a larger table)', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 200; i++) h.insert(keyName(i));
    const positions = [...h.model.values()].map((id) => KeyTable.positionOf(h.hash(h.keyOf[id]!))).sort((a, b) => a - b);
    const cursor = positions[100]!;
    const seen: number[] = [];
    let c = cursor;
    do c = h.table.scan(c, 10, (id) => seen.push(KeyTable.positionOf(h.hash(h.keyOf[id]!))));
    while (c !== 0);
    expect(seen.sort((a, b) => a - b)).toEqual(positions.slice(100));
  });

  test('count is a hint: at least count ids unless the table runs out or 10*count buckets were empty', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 10_000; i++) h.insert(keyName(i));
    let n = 0;
    const cursor = h.table.scan(0, 100, () => n++);
    expect(cursor).not.toBe(0);
    expect(n).toBeGreaterThanOrEqual(100);
    expect(n).toBeLessThan(200);
  });

  test('entries with equal hashes are visited in the same call', () => {
    const h = new Harness('fewHashes');
    for (let i = 0; i < 400; i++) h.insert(keyName(i));
    let cursor = 0;
    const callOf = new Map<number, number>();
    let call = 0;
    do {
      call++;
      cursor = h.table.scan(cursor, 1, (id) => {
        const hash = h.hash(h.keyOf[id]!);
        if (callOf.has(hash)) expect(callOf.get(hash)).toBe(call);
        else callOf.set(hash, call);
      });
    } while (cursor !== 0);
    expect(callOf.size).toBe(4);
  });

  /**
   * Starts a scan, and between its calls inserts, removes and replaces keys in bursts
   * that drive the size up to `high` and back down to `low` (and again), so the table
   * grows and shrinks, incrementally, mid-iteration. Every id present from start to end
   * is returned exactly once, no id twice, every returned id was present when it was
   * returned, and the iteration ends.
   */
  function scanDuringResizes(mode: HashMode, seed: number, initial: number, low: number, high: number, count: number): void {
    const random = rng(seed);
    const h = new Harness(mode);
    const live: string[] = [];
    let next = 0;
    const add = (): void => {
      const key = keyName(next++);
      h.insert(key);
      live.push(key);
    };
    for (let i = 0; i < initial; i++) add();
    const atStart = new Set(h.model.values());
    const changedIds = new Set<number>();
    const returned = new Set<number>();
    let duplicates = 0;
    let absent = 0;
    let grew = 0;
    let shrank = 0;
    let growing = true;
    let cursor = 0;
    let calls = 0;
    do {
      cursor = h.table.scan(cursor, count, (id) => {
        if (returned.has(id)) duplicates++;
        returned.add(id);
        if (h.model.get(h.keyOf[id]!) !== id) absent++;
      });
      expect(++calls).toBeLessThan(100_000);
      if (h.table.size >= high) growing = false;
      if (h.table.size <= low) growing = true;
      const capacity = h.table.capacity;
      const burst = Math.floor(random() * 100) + 1;
      for (let i = 0; i < burst; i++) {
        const r = random();
        if (growing ? r < 0.85 : r < 0.1) {
          add();
        } else if (live.length > 0) {
          const at = Math.floor(random() * live.length);
          const key = live[at]!;
          changedIds.add(h.model.get(key)!);
          if (r < 0.97) {
            h.remove(key);
            live[at] = live[live.length - 1]!;
            live.pop();
          } else {
            h.replace(key);
          }
        }
      }
      if (random() < 0.2) h.table.rehashStep(Math.floor(random() * 64));
      if (h.table.capacity > capacity) grew++;
      if (h.table.capacity < capacity) shrank++;
    } while (cursor !== 0);
    expect(duplicates).toBe(0);
    expect(absent).toBe(0);
    for (const id of atStart) if (!changedIds.has(id)) expect(returned.has(id)).toBe(true);
    expect(grew).toBeGreaterThan(0);
    expect(shrank).toBeGreaterThan(0);
  }

  test('no duplicates and nothing missed while the table grows and shrinks between calls', () => {
    for (let seed = 1; seed <= 12; seed++) scanDuringResizes('murmur', seed, 1000, 40, 4000, 1 + (seed % 4) * 3);
  });

  test('the same with adversarial hashes', () => {
    for (let seed = 1; seed <= 3; seed++) scanDuringResizes('sameLowBits', seed, 100, 10, 400, 2);
    for (let seed = 1; seed <= 3; seed++) scanDuringResizes('fewHashes', seed, 100, 10, 400, 2);
  });

  test('a scan of an empty table returns 0 at once, visiting nothing', () => {
    const h = new Harness('murmur');
    let n = 0;
    expect(h.table.scan(0, 10, () => n++)).toBe(0);
    expect(n).toBe(0);
  });
});

describe('randomId', () => {
  test('-1 when empty, otherwise only present ids, and every id is reachable', () => {
    const h = new Harness('murmur');
    expect(h.table.randomId(0.5)).toBe(-1);
    const random = rng(11);
    for (let i = 0; i < 3000; i++) h.insert(keyName(i));
    for (let i = 0; i < 2900; i++) h.remove(keyName(i)); // a shrink is under way now
    const present = new Set(h.model.values());
    const drawn = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const id = h.table.randomId(random());
      expect(present.has(id)).toBe(true);
      drawn.add(id);
    }
    expect(drawn.size).toBe(present.size);
    expect(h.table.randomId(0)).toBeGreaterThanOrEqual(0);
    expect(h.table.randomId(0.9999999999)).toBeGreaterThanOrEqual(0);
    h.clear();
    expect(h.table.randomId(0.3)).toBe(-1);
  });

  test('only present ids while a resize runs, under a property', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 20, maxLength: 20 }), (ops, draws) => {
        const h = new Harness('murmur');
        run(h, ops);
        const present = new Set(h.model.values());
        for (const r of draws) {
          const id = h.table.randomId(r);
          if (present.size === 0) expect(id).toBe(-1);
          else expect(present.has(id)).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('incremental resize', () => {
  test('no single insert or remove drains more than MIGRATE_PER_OP slots, up to 1M keys and back', () => {
    // Keys are not needed: insert/remove never call the matcher.
    const table = new KeyTable<number>({ matches: () => false });
    const random = rng(5);
    const hashes = Uint32Array.from({ length: 1_000_000 }, () => Math.floor(random() * 2 ** 32));
    let resizes = 0;
    let maxBytes = 0;
    let maxDrained = 0;
    let badStarts = 0;
    // Plain comparisons in the loop (an expect() per operation would take most of the time).
    const check = (before: number, after: number, rehashingBefore: boolean): void => {
      if (after > before) {
        // A resize started: it did no draining in the same call.
        if (before !== 0 || rehashingBefore) badStarts++;
        resizes++;
      } else if (before - after > maxDrained) {
        maxDrained = before - after;
      }
    };
    for (let id = 0; id < hashes.length; id++) {
      const before = table.pendingRehash;
      const rehashing = table.rehashing;
      table.insert(hashes[id]!, id);
      check(before, table.pendingRehash, rehashing);
      if (table.bytes > maxBytes) maxBytes = table.bytes;
    }
    expect(table.size).toBe(1_000_000);
    expect(table.capacity).toBe(2 ** 21);
    expect(resizes).toBeGreaterThanOrEqual(16);
    for (let id = 0; id < hashes.length; id++) {
      const before = table.pendingRehash;
      const rehashing = table.rehashing;
      if (!table.remove(hashes[id]!, id)) badStarts++;
      // The last remove drops both arrays (no draining: there is nothing left to move).
      if (table.size > 0) check(before, table.pendingRehash, rehashing);
    }
    expect(badStarts).toBe(0);
    expect(maxDrained).toBe(MIGRATE_PER_OP);
    expect(table.size).toBe(0);
    expect(table.capacity).toBe(MIN_CAPACITY);
    expect(table.rehashing).toBe(false);
    // Never more than the two arrays of one resize: 2^21 + 2^20 slots of 8 bytes.
    expect(maxBytes).toBeLessThanOrEqual((2 ** 21 + 2 ** 20) * 8);
  });

  test('inserts while a shrink drains never overflow the smaller table nor force the drain to finish at once', () => {
    const table = new KeyTable<number>({ matches: () => false });
    const random = rng(9);
    let id = 0;
    const ids: number[] = [];
    const hashes: number[] = [];
    for (; id < 100_000; id++) {
      ids.push(id);
      hashes.push(Math.floor(random() * 2 ** 32));
      table.insert(hashes[id]!, id);
    }
    while (table.rehashStep(1000));
    const big = table.capacity;
    // Remove until the shrink starts, then insert as fast as possible while it drains.
    while (!table.rehashing) {
      const victim = ids.pop()!;
      table.remove(hashes[victim]!, victim);
    }
    expect(table.capacity).toBeLessThan(big);
    let maxDrained = 0;
    let inserts = 0;
    while (table.rehashing) {
      const before = table.pendingRehash;
      hashes.push(Math.floor(random() * 2 ** 32));
      table.insert(hashes[id]!, id++);
      inserts++;
      maxDrained = Math.max(maxDrained, before - table.pendingRehash);
      expect(table.size * 4).toBeLessThanOrEqual(table.capacity * 3);
    }
    expect(inserts).toBe(Math.ceil(big / MIGRATE_PER_OP));
    expect(maxDrained).toBe(MIGRATE_PER_OP);
  });

  test('with no more writes, rehashStep alone finishes a drain and chains the shrinks down to the minimum', () => {
    const table = new KeyTable<number>({ matches: () => false });
    for (let id = 0; id < 4096; id++) table.insert(Math.imul(id, 0x9e3779b1) >>> 0, id);
    // All but one removed: the removes' own drain steps leave a drain running and shrinks due.
    for (let id = 1; id < 4096; id++) table.remove(Math.imul(id, 0x9e3779b1) >>> 0, id);
    expect(table.rehashing).toBe(true);
    expect(table.capacity).toBeGreaterThan(1024);
    let steps = 0;
    while (table.rehashStep(16)) steps++;
    // Each shrink is at most 4x (the drain margin), each rehashStep drains 16 slots.
    expect(steps).toBeGreaterThan(4096 / 16);
    expect(table.size).toBe(1);
    expect(table.capacity).toBe(MIN_CAPACITY);
    expect(table.remove(0, 0)).toBe(true);
  });

  test('rehashStep does at most the buckets asked for, and says whether work remains', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 13; i++) h.insert(keyName(i)); // the 13th insert starts a resize of a 16-slot table
    expect(h.table.rehashing).toBe(true);
    expect(h.table.pendingRehash).toBe(16);
    expect(h.table.rehashStep(5)).toBe(true);
    expect(h.table.pendingRehash).toBe(11);
    h.checkAll([keyName(0), keyName(12), keyName(13)]);
    expect(h.table.rehashStep(11)).toBe(false);
    expect(h.table.rehashing).toBe(false);
    h.checkAll([keyName(0), keyName(12), keyName(13)]);
  });

  test('reserve sizes an empty table at once and a full one incrementally', () => {
    const h = new Harness('murmur');
    h.table.reserve(1_000_000);
    expect(h.table.capacity).toBe(2 ** 21);
    expect(h.table.rehashing).toBe(false);
    for (let i = 0; i < 1000; i++) h.insert(keyName(i));
    expect(h.table.capacity).toBe(2 ** 21);
    const h2 = new Harness('murmur');
    for (let i = 0; i < 1000; i++) h2.insert(keyName(i));
    h2.table.reserve(100_000);
    expect(h2.table.capacity * 3).toBeGreaterThanOrEqual(400_000);
    expect(h2.table.rehashing).toBe(true);
    h2.checkAll(Array.from({ length: 1100 }, (_, i) => keyName(i)));
  });

  test('removing the last key or clear() returns the arrays to the minimum at once', () => {
    const h = new Harness('murmur');
    for (let i = 0; i < 5000; i++) h.insert(keyName(i));
    for (let i = 0; i < 5000; i++) h.remove(keyName(i));
    expect(h.table.capacity).toBe(MIN_CAPACITY);
    expect(h.table.bytes).toBe(MIN_CAPACITY * 8);
    for (let i = 0; i < 5000; i++) h.insert(keyName(i));
    h.clear();
    expect(h.table.bytes).toBe(MIN_CAPACITY * 8);
    h.checkAll([keyName(1)]);
  });

  test('a reservation survives the cron while a load fills the table, and ends at the first remove', () => {
    const h = new Harness('murmur');
    h.table.reserve(100_000);
    const reserved = h.table.capacity;
    expect(h.table.rehashStep(100)).toBe(false);
    expect(h.table.capacity).toBe(reserved);
    // A remove that finds nothing changes nothing.
    h.remove(keyName(7));
    expect(h.table.capacity).toBe(reserved);
    for (let i = 0; i < 1000; i++) h.insert(keyName(i));
    while (h.table.rehashStep(100));
    expect(h.table.capacity).toBe(reserved);
    h.remove(keyName(0));
    while (h.table.rehashStep(1000));
    expect(h.table.capacity).toBeLessThan(reserved);
    expect(h.table.size * 8).toBeGreaterThanOrEqual(h.table.capacity);
    h.checkAll(Array.from({ length: 1100 }, (_, i) => keyName(i)));
  });

  test('bytes counts both arrays while a resize runs', () => {
    const h = new Harness('murmur');
    expect(h.table.bytes).toBe(MIN_CAPACITY * 8);
    for (let i = 0; i < 13; i++) h.insert(keyName(i));
    expect(h.table.bytes).toBe((MIN_CAPACITY + h.table.capacity) * 8);
  });
});

/** FreshArrays whose requests the test answers by hand. */
class HeldFresh implements FreshArrays {
  readonly asked: { bytes: number; ready: (buffer: ArrayBuffer | null) => void }[] = [];
  refuse = false;

  request(bytes: number, ready: (buffer: ArrayBuffer | null) => void): boolean {
    if (this.refuse) return false;
    this.asked.push({ bytes, ready });
    return true;
  }

  /** Answers the oldest request with a new buffer (or null). */
  answer(withBuffer = true): void {
    const { bytes, ready } = this.asked.shift()!;
    ready(withBuffer ? new ArrayBuffer(bytes) : null);
  }
}

/** find() agrees with the model for keys 0..keys-1 (one assertion, not one a key), and the sizes agree. */
/** Removes a key without Harness.remove's assertions (hundreds of thousands of them here). */
function drop(h: Harness, key: string): void {
  if (!h.table.remove(h.hash(key), h.model.get(key)!)) throw new Error(`${key} not removed`);
  h.model.delete(key);
}

function quickCheck(h: Harness, keys: number): void {
  const wrong: string[] = [];
  for (let i = 0; i < keys; i++) {
    const key = keyName(i);
    if (h.table.find(h.hash(key), key) !== (h.model.get(key) ?? -1)) wrong.push(key);
  }
  expect(wrong).toEqual([]);
  expect(h.table.size).toBe(h.model.size);
}

/** A table (no aux word) whose FreshArrays the test answers by hand. */
function withHeldFresh(): { fresh: HeldFresh; h: Harness } {
  const fresh = new HeldFresh();
  return { fresh, h: new Harness('murmur', undefined, false, fresh) };
}

/** Finishes a running resize through the cron's step, then checks keys 0..keys-1 (quickCheck). */
function drainAndCheck(h: Harness, keys: number): void {
  while (h.table.rehashStep(4096));
  quickCheck(h, keys);
}

describe('resizes with arrays from FreshArrays', () => {
  // A slot is 8 bytes: 2^17 slots (1 MiB) are allocated at once, 2^18 (2 MiB) and more asked for.
  const SMALL = 2 ** 17;

  test('a grow waits for its array, inserts meanwhile go to the table as it is, and it starts when the array comes', () => {
    const { fresh, h } = withHeldFresh();
    let n = 0;
    while (h.table.capacity < SMALL) h.insert(keyName(n++));
    expect(fresh.asked.length).toBe(0);
    while (n < (SMALL * 3) / 4) h.insert(keyName(n++));
    expect(fresh.asked.length).toBe(0);
    h.insert(keyName(n++));
    expect(fresh.asked.map((a) => a.bytes)).toEqual([2 * SMALL * 8]);
    // Past 3/4 load and below 13/16: no resize, no second request.
    while (n < SMALL * 0.8) h.insert(keyName(n++));
    expect(h.table.capacity).toBe(SMALL);
    expect(h.table.rehashing).toBe(false);
    expect(fresh.asked.length).toBe(1);
    quickCheck(h, n + 50);
    fresh.answer();
    expect(h.table.capacity).toBe(2 * SMALL);
    expect(h.table.rehashing).toBe(true);
    drainAndCheck(h, n + 50);
  });

  test('past 13/16 load a grow starts at once, and the array that comes late is dropped', () => {
    const { fresh, h } = withHeldFresh();
    let n = 0;
    while (fresh.asked.length === 0) h.insert(keyName(n++));
    while (!h.table.rehashing) h.insert(keyName(n++));
    expect(n).toBe((SMALL * 13) / 16 + 1);
    expect(h.table.capacity).toBe(2 * SMALL);
    const bytes = h.table.bytes;
    fresh.answer();
    expect(h.table.bytes).toBe(bytes);
    drainAndCheck(h, n + 50);
  });

  test('a shrink waits for its array while removes go on; the cron does not spin on it; a null answer has the next remove ask again', () => {
    const { fresh, h } = withHeldFresh();
    let n = 0;
    while (h.table.capacity < 4 * SMALL) {
      h.insert(keyName(n++));
      while (fresh.asked.length > 0) fresh.answer();
    }
    while (h.table.rehashStep(4096));
    const capacity = h.table.capacity;
    let removed = 0;
    while (fresh.asked.length === 0) drop(h, keyName(removed++));
    expect(h.model.size * 8).toBeLessThan(capacity);
    expect(h.table.rehashStep(4096)).toBe(false);
    drop(h, keyName(removed++));
    expect(fresh.asked.length).toBe(1);
    fresh.answer(false);
    expect(h.table.rehashing).toBe(false);
    drop(h, keyName(removed++));
    expect(fresh.asked.length).toBe(1);
    for (let i = 0; i < 1000; i++) drop(h, keyName(removed++));
    fresh.answer();
    expect(h.table.rehashing).toBe(true);
    expect(h.table.capacity).toBeLessThan(capacity);
    drainAndCheck(h, n);
  });

  test('an array that comes when the resize is no longer due, or after clear(), is dropped', () => {
    const { fresh, h } = withHeldFresh();
    let n = 0;
    while (fresh.asked.length === 0) h.insert(keyName(n++));
    // Back below 3/4 load: the grow is not due any more.
    for (let i = 0; i < 100; i++) h.remove(keyName(--n));
    fresh.answer();
    expect(h.table.rehashing).toBe(false);
    expect(h.table.capacity).toBe(SMALL);
    while (fresh.asked.length === 0) h.insert(keyName(n++));
    h.clear();
    fresh.answer();
    expect(h.table.capacity).toBe(MIN_CAPACITY);
    expect(h.table.rehashing).toBe(false);
  });

  test('when FreshArrays refuses, the resize starts at once', () => {
    const { fresh, h } = withHeldFresh();
    fresh.refuse = true;
    let n = 0;
    while (!h.table.rehashing || h.table.capacity < 2 * SMALL) h.insert(keyName(n++));
    expect(n).toBe((SMALL * 3) / 4 + 1);
  });
});
