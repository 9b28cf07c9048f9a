import { readLatin1, writeLatin1 } from '../util/latin1.js';
import { hashBytes, hashString, keyEqualsBytes, randomHashSeed } from './store/key-hash.js';
import { KeyTable, type KeyMatcher } from './store/key-table.js';
/**
 * Where a table's arena and arrays come from: its keyspace's BufferCount (so that its
 * memory figures count them), or plain allocations.
 */
export interface ArenaAllocator {
  buffer(size: number): Buffer;
  int32(length: number): Int32Array;
  /** Told of a buffer or array it gave that the table replaced: garbage until V8 collects it. */
  release?(bytes: number): void;
}

/** refs[pair] of a deleted pair. */
const DELETED = -1;
/** The pair word of a dead record. */
const DEAD = -1;
/** A record's header: pair number, field length, value length (words). */
const HEADER_WORDS = 3;
/** The value length of a record whose value is kept in `outside`. */
const OUTSIDE = -1;
/**
 * Values longer than this stay JavaScript strings (one per value, in `outside`): a copy
 * of the arena as it grows should not move megabytes, and a string this long costs V8
 * no more to keep than its bytes. Fields are never this long in practice and always
 * live in the arena.
 */
const OUTSIDE_FROM = 64 * 1024;
/** The arena is compacted once dead records are more than half of it and at least this many words. */
const MIN_DEAD_TO_COMPACT = 1024;
/** Tombstones (deleted pair numbers) are squeezed out once there are more than this and more than live pairs. */
const MIN_HOLES_TO_SQUEEZE = 64;
/** The fewest refs kept (32: 128 bytes, an ArrayBuffer of its own; V8 keeps typed arrays of up to 64 bytes on its heap, which would be counted twice). */
const MIN_REFS = 32;
/** The smallest arena (bytes). */
const MIN_ARENA = 256;

/** Words a record of a field and an in-arena value of these lengths takes. */
function recordWords(fieldLength: number, valueLength: number): number {
  return HEADER_WORDS + ((fieldLength + valueLength + 3) >> 2);
}

/**
 * The fields and values of a hash in its table form (past hash-max-listpack-entries or
 * -value), kept as bytes in one arena instead of two V8 strings per pair.
 *
 * Why: HSET of 230-byte values into a 100k-field hash spent a tenth of the server's
 * time in V8's scavenger and marker (each stored value a young string that survives,
 * is copied and promoted, then kept track of by the old generation's GC), more in the
 * write barrier, and its field lookup followed two dependent pointers (the pair array,
 * then the field string) after the table slot. Here a value is written into the arena
 * from the argument's string, which then dies young (as SET's does), and the table slot
 * holds the record's offset: slot, then record.
 *
 * - Records, 4-byte aligned: [pair][field length][value length][field bytes][value
 *   bytes], a word each for the first three. A value longer than OUTSIDE_FROM stays a
 *   string in `outside` (value length OUTSIDE).
 * - Pair numbers: each field has one, stable while it lives (HSCAN's cursor counts
 *   down through them and HRANDFIELD picks one at random, as HashValue did over its
 *   pair array); refs[pair] is its record's word offset, DELETED once it is removed.
 *   Deleted numbers are squeezed out when they outnumber live ones (squeeze), which
 *   only moves pairs towards 0.
 * - The index, a KeyTable keyed by the field's hash (seeded per hash), holds each pair
 *   with its record's offset as the aux word, so a lookup reads the slot and then the
 *   record.
 * - A value rewritten with a length that needs the same words is written in place;
 *   otherwise the record is copied to the arena's end and the old one is dead. Dead
 *   records are slid out (compact) once they are more than half the arena; the arena
 *   grows by half when full and shrinks when a quarter of it is used.
 *
 * Memory (`npm run bench -- --only collections`: one hash of 1M fields of 14 bytes with
 * values of up to 10): used_memory 93 bytes a field against Redis's 70, RSS 88 against
 * 80 (with the strings: RSS 143 a field, for fields of 13 bytes).
 */
export class FieldTable implements KeyMatcher<string> {
  private readonly index: KeyTable<string>;
  private readonly seed: number;
  private bytes: Buffer;
  private words: Int32Array;
  /** A DataView over the whole arena, for replies that copy values out in words. */
  private view: DataView;
  /** Words in use from the arena's start, dead records included. */
  private end = 0;
  /** Words of dead records below end. */
  private dead = 0;
  /** Pair -> record word offset, or DELETED; pairs are numbered below `top`. */
  private refs: Int32Array;
  private top = 0;
  /** Values longer than OUTSIDE_FROM, by pair. */
  private outside: Map<number, string> | null = null;
  /** Chars of the values in `outside`. */
  private outsideChars = 0;

  /**
   * `arenas`: its keyspace's count of arena bytes (HashEncoding.arenas), or null for a
   * hash outside any server.
   */
  constructor(
    private readonly arenas: ArenaAllocator | null,
    expectedPairs = 0,
    expectedBytes = 0,
  ) {
    this.seed = randomHashSeed();
    this.index = new KeyTable<string>(this, undefined, true, arenas);
    if (expectedPairs > 0) this.index.reserve(expectedPairs);
    this.refs = this.newRefs(Math.max(MIN_REFS, expectedPairs));
    this.bytes = this.newArena(Math.max(MIN_ARENA, (expectedBytes + 3) & ~3));
    this.words = new Int32Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length >> 2);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
  }

  /** Live fields. */
  get size(): number {
    return this.index.size;
  }

  /** Pair numbers in use, deleted ones included: fieldAt/valueAt take 0 .. pairCount - 1. */
  get pairCount(): number {
    return this.top;
  }

  /** What the table holds in memory: the arena, the refs, the index and the outside strings (O(1)). */
  get bytesUsed(): number {
    return this.bytes.length + 4 * this.refs.length + 80 + this.index.bytes + (this.outside === null ? 0 : 32 * this.outside.size + this.outsideChars);
  }

  /** KeyMatcher of the index: whether the record at `aux` holds field. */
  matches(_pair: number, field: string, aux: number): boolean {
    const words = this.words;
    const at = (aux + HEADER_WORDS) << 2;
    return keyEqualsBytes(field, this.bytes, at, at + words[aux + 1]!);
  }

  /** The pair number of field, or -1. */
  find(field: string): number {
    return this.index.find(hashString(this.seed, field), field);
  }

  /** Whether pair holds a field (it was not deleted). */
  isLive(pair: number): boolean {
    return this.refs[pair] !== DELETED;
  }

  /** The field of pair, or null if the pair was deleted. */
  fieldAt(pair: number): string | null {
    const w = this.refs[pair]!;
    if (w === DELETED) return null;
    const at = (w + HEADER_WORDS) << 2;
    return readLatin1(this.bytes, at, at + this.words[w + 1]!);
  }

  /** The value of pair, or null if the pair was deleted. */
  valueAt(pair: number): string | null {
    const w = this.refs[pair]!;
    if (w === DELETED) return null;
    const words = this.words;
    const valueLength = words[w + 2]!;
    if (valueLength === OUTSIDE) return this.outside!.get(pair)!;
    const at = ((w + HEADER_WORDS) << 2) + words[w + 1]!;
    return readLatin1(this.bytes, at, at + valueLength);
  }

  /** The arena, for copying a value's bytes out (valueStartAt); valid until the table next changes. */
  get arena(): Buffer {
    return this.bytes;
  }

  /** A DataView over the whole arena (for copies in words); valid until the table next changes. */
  get arenaView(): DataView {
    return this.view;
  }

  /** Where a live pair's field starts in the arena (fields are always there). */
  fieldStartAt(pair: number): number {
    return (this.refs[pair]! + HEADER_WORDS) << 2;
  }

  /** The field's length of a live pair. */
  fieldLengthAt(pair: number): number {
    return this.words[this.refs[pair]! + 1]!;
  }

  /** Where a live pair's value starts in the arena, or -1 if it is kept outside (a string: valueAt). */
  valueStartAt(pair: number): number {
    const w = this.refs[pair]!;
    const words = this.words;
    return words[w + 2] === OUTSIDE ? -1 : ((w + HEADER_WORDS) << 2) + words[w + 1]!;
  }

  /** The value's length of a live pair, without making a string of it. */
  valueLengthAt(pair: number): number {
    const w = this.refs[pair]!;
    const valueLength = this.words[w + 2]!;
    return valueLength === OUTSIDE ? this.outside!.get(pair)!.length : valueLength;
  }

  get(field: string): string | undefined {
    const pair = this.find(field);
    return pair < 0 ? undefined : this.valueAt(pair)!;
  }

  /** Sets field to value; true if the field is new. */
  set(field: string, value: string): boolean {
    const hash = hashString(this.seed, field);
    const pair = this.index.find(hash, field);
    if (pair >= 0) {
      this.replaceValue(hash, pair, value);
      return false;
    }
    this.insert(hash, field, value);
    return true;
  }

  /** Adds field with an empty value unless it is there (a set's member: SetValue); true if it is new. */
  add(field: string): boolean {
    const hash = hashString(this.seed, field);
    if (this.index.find(hash, field) >= 0) return false;
    this.insert(hash, field, '');
    return true;
  }

  /** Adds a field known to be absent, whose hash is `hash`. */
  private insert(hash: number, field: string, value: string): void {
    const p = this.top;
    if (p === this.refs.length) this.growRefs();
    const w = this.append(p, field, value);
    this.refs[p] = w;
    this.top = p + 1;
    this.index.insert(hash, p, w);
    this.stepResize();
  }

  /** Removes field; true if it existed. */
  remove(field: string): boolean {
    const hash = hashString(this.seed, field);
    const pair = this.index.find(hash, field);
    if (pair < 0) return false;
    this.index.remove(hash, pair);
    this.stepResize();
    this.kill(pair, this.refs[pair]!);
    this.refs[pair] = DELETED;
    if (pair === this.top - 1) {
      // The last pair: drop it, and any deleted ones it was covering.
      let top = pair;
      while (top > 0 && this.refs[top - 1] === DELETED) top--;
      this.top = top;
    } else {
      const holes = this.top - this.index.size;
      if (holes > MIN_HOLES_TO_SQUEEZE && holes > this.index.size) this.squeeze();
    }
    if (this.dead * 2 > this.end && this.dead >= MIN_DEAD_TO_COMPACT) this.compact(0);
    return true;
  }

  /** Calls fn for every field and value, in pair order. */
  forEach(fn: (field: string, value: string) => void): void {
    for (let pair = 0; pair < this.top; pair++) {
      if (this.refs[pair] !== DELETED) fn(this.fieldAt(pair)!, this.valueAt(pair)!);
    }
  }

  /** Calls fn for every field, in pair order (a set's members: no value strings made). */
  forEachField(fn: (field: string) => void): void {
    for (let pair = 0; pair < this.top; pair++) {
      if (this.refs[pair] !== DELETED) fn(this.fieldAt(pair)!);
    }
  }

  /** scan() of the fields alone (a set's members). */
  scanFields(cursor: number, count: number, visit: (field: string) => void): number {
    return this.scanPairs(cursor, count, (pair) => visit(this.fieldAt(pair)!));
  }

  /**
   * Visits up to `count` pairs from cursor (0 = start), examining at most count*10 pair
   * numbers, and returns the next cursor (0 when done). Walks from the newest pair to the
   * oldest: fields added during an iteration are not visited, and squeeze() only moves
   * pairs towards 0, so a cursor is never past a pair it has not visited; at worst it
   * visits some again, which SCAN allows.
   */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    return this.scanPairs(cursor, count, (pair) => visit(this.fieldAt(pair)!, this.valueAt(pair)!));
  }

  /** scan()'s walk, visiting live pair numbers. */
  private scanPairs(cursor: number, count: number, visit: (pair: number) => void): number {
    const top = this.top - 1;
    let pair = cursor === 0 || cursor - 1 > top ? top : cursor - 1;
    const maxExamined = Math.max(count, 1) * 10;
    let visited = 0;
    for (let examined = 0; pair >= 0 && visited < count && examined < maxExamined; pair--, examined++) {
      if (this.refs[pair] === DELETED) continue;
      visited++;
      visit(pair);
    }
    return pair >= 0 ? pair + 1 : 0;
  }

  /** A uniformly random live pair; the table must not be empty. */
  randomPair(): number {
    const top = this.top;
    const refs = this.refs;
    for (;;) {
      const pair = Math.floor(Math.random() * top);
      if (refs[pair] !== DELETED) return pair;
    }
  }

  /** A copy holding the same fields and values (in the same order), compacted. */
  copy(): FieldTable {
    const copy = new FieldTable(this.arenas, this.index.size, (this.end - this.dead) << 2);
    this.forEach((field, value) => copy.set(field, value));
    return copy;
  }

  /** Replaces the value of a live pair (stored under hash). */
  private replaceValue(hash: number, pair: number, value: string): void {
    let w = this.refs[pair]!;
    const words = this.words;
    const fieldLength = words[w + 1]!;
    const oldLength = words[w + 2]!;
    const length = value.length;
    if (oldLength !== OUTSIDE && length <= OUTSIDE_FROM && recordWords(fieldLength, length) === recordWords(fieldLength, oldLength)) {
      words[w + 2] = length;
      if (length > 0) writeLatin1(this.bytes, value, ((w + HEADER_WORDS) << 2) + fieldLength);
      return;
    }
    if (oldLength === OUTSIDE && length > OUTSIDE_FROM) {
      this.outsideChars += length - this.outside!.get(pair)!.length;
      this.outside!.set(pair, value);
      return;
    }
    // Another size: a new record at the end, with the field copied from the old one.
    const need = recordWords(fieldLength, length > OUTSIDE_FROM ? 0 : length);
    this.reserve(need);
    w = this.refs[pair]!; // a compaction may have moved it
    const to = this.end;
    const bytes = this.bytes;
    const fieldAt = (w + HEADER_WORDS) << 2;
    bytes.copyWithin((to + HEADER_WORDS) << 2, fieldAt, fieldAt + fieldLength);
    this.writeRecord(to, pair, fieldLength, value);
    this.end = to + need;
    this.kill(pair, w);
    this.refs[pair] = to;
    this.index.setAux(hash, pair, to);
  }

  /** Appends a record for a new pair and returns its word offset. */
  private append(pair: number, field: string, value: string): number {
    const need = recordWords(field.length, value.length > OUTSIDE_FROM ? 0 : value.length);
    this.reserve(need);
    const w = this.end;
    if (field.length > 0) writeLatin1(this.bytes, field, (w + HEADER_WORDS) << 2);
    this.writeRecord(w, pair, field.length, value);
    this.end = w + need;
    return w;
  }

  /** Writes a record's header and value (its field bytes are in place). */
  private writeRecord(w: number, pair: number, fieldLength: number, value: string): void {
    const words = this.words;
    words[w] = pair;
    words[w + 1] = fieldLength;
    const length = value.length;
    if (length > OUTSIDE_FROM) {
      words[w + 2] = OUTSIDE;
      (this.outside ??= new Map()).set(pair, value);
      this.outsideChars += length;
    } else {
      words[w + 2] = length;
      if (length > 0) writeLatin1(this.bytes, value, ((w + HEADER_WORDS) << 2) + fieldLength);
    }
  }

  /** Marks the record of pair at w dead (its outside value dropped). */
  private kill(pair: number, w: number): void {
    const words = this.words;
    const valueLength = words[w + 2]!;
    if (valueLength === OUTSIDE) {
      this.outsideChars -= this.outside!.get(pair)!.length;
      this.outside!.delete(pair);
    }
    words[w] = DEAD;
    this.dead += recordWords(words[w + 1]!, valueLength === OUTSIDE ? 0 : valueLength);
  }

  /** Makes room for `need` more words at the end: compacts if that is enough, else grows the arena. */
  private reserve(need: number): void {
    const capacity = this.words.length;
    if (this.end + need <= capacity) return;
    if (this.dead * 2 > this.end && this.dead >= MIN_DEAD_TO_COMPACT) {
      this.compact(need);
      if (this.end + need <= this.words.length) return;
    }
    this.resize(Math.max(this.end + need, capacity + (capacity >> 1)));
  }

  /** A new arena of `wordsWanted` words holding the first `end` words of the old one. */
  private resize(wordsWanted: number): void {
    const bytes = this.newArena(Math.max(MIN_ARENA, wordsWanted << 2));
    this.bytes.copy(bytes, 0, 0, this.end << 2);
    this.arenas?.release?.(this.bytes.length);
    this.bytes = bytes;
    this.words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /**
   * Slides the live records down over the dead ones, in arena order, updating each
   * moved pair's ref and index aux word; then gives back an arena mostly empty (keeping
   * room for `need` more words).
   */
  private compact(need: number): void {
    const words = this.words;
    const bytes = this.bytes;
    const refs = this.refs;
    const end = this.end;
    let to = 0;
    for (let from = 0; from < end; ) {
      const fieldLength = words[from + 1]!;
      const valueLength = words[from + 2]!;
      const n = recordWords(fieldLength, valueLength === OUTSIDE ? 0 : valueLength);
      const pair = words[from]!;
      if (pair !== DEAD) {
        if (to !== from) {
          words.copyWithin(to, from, from + n);
          refs[pair] = to;
          const at = (to + HEADER_WORDS) << 2;
          this.index.setAux(hashBytes(this.seed, bytes, at, at + fieldLength), pair, to);
        }
        to += n;
      }
      from += n;
    }
    this.end = to;
    this.dead = 0;
    const wanted = to + need;
    if (wanted * 4 < words.length && words.length << 2 > MIN_ARENA) this.resize(wanted + (wanted >> 1));
  }

  /** Renumbers the live pairs 0 .. size - 1 in order, dropping the deleted numbers. */
  private squeeze(): void {
    const refs = this.refs;
    const words = this.words;
    const outside = this.outside;
    let to = 0;
    for (let from = 0; from < this.top; from++) {
      const w = refs[from]!;
      if (w === DELETED) continue;
      if (to !== from) {
        refs[to] = w;
        words[w] = to;
        const at = (w + HEADER_WORDS) << 2;
        this.index.replace(hashBytes(this.seed, this.bytes, at, at + words[w + 1]!), from, to);
        if (words[w + 2] === OUTSIDE) {
          outside!.set(to, outside!.get(from)!);
          outside!.delete(from);
        }
      }
      to++;
    }
    this.top = to;
    if (to * 4 < refs.length && refs.length > 64) {
      const kept = this.newRefs(Math.max(MIN_REFS, to + (to >> 1)));
      kept.set(refs.subarray(0, to));
      this.arenas?.release?.(refs.byteLength);
      this.refs = kept;
    }
  }

  private newArena(size: number): Buffer {
    return this.arenas === null ? Buffer.allocUnsafeSlow(size) : this.arenas.buffer(size);
  }

  private newRefs(length: number): Int32Array {
    return this.arenas === null ? new Int32Array(length) : this.arenas.int32(length);
  }

  private growRefs(): void {
    const refs = this.newRefs(this.refs.length * 2);
    refs.set(this.refs);
    this.arenas?.release?.(this.refs.byteLength);
    this.refs = refs;
  }

  /**
   * After a write to the index: moves a running resize on by 64 more slots (KeyTable
   * drains its old array by 8 slots a write, and no cron drives a hash's index). Only
   * writes do it, never lookups: bytesUsed counts both arrays while a resize runs, and
   * the Database accounts a value's bytes around its changes only.
   */
  private stepResize(): void {
    if (this.index.rehashing) this.index.rehashStep(64);
  }
}
