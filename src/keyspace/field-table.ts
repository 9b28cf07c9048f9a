import { readLatin1, writeLatin1 } from '../util/latin1.js';
import { hashBytes, hashString, keyEqualsBytes, randomHashSeed } from './store/key-hash.js';
import { ColumnBuffer } from './store/column-buffer.js';
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
 * Values longer than this stay JavaScript strings (one per value, in `outside`): a
 * string this long costs V8 no more to keep than its bytes. Fields are never this long
 * in practice and always live in the arena.
 */
const OUTSIDE_FROM = 64 * 1024;
/** A ref's low bits: a word offset in its chunk; the bits above are the chunk's number. */
const CHUNK_SHIFT = 16;
/** Words of a full chunk (256 KiB). */
const CHUNK_WORDS = 1 << CHUNK_SHIFT;
const OFFSET_MASK = CHUNK_WORDS - 1;
/** Chunk numbers stay below this, so that a ref is a positive Int32 (8 GiB of full chunks). */
const MAX_CHUNKS = 1 << (31 - CHUNK_SHIFT);
/**
 * Records of more words than this get a chunk of their own (a field past ~32 KiB, or a
 * value between that and OUTSIDE_FROM): the tail a full chunk leaves unused when the next
 * record does not fit stays under an eighth of it.
 */
const SOLO_FROM = CHUNK_WORDS >> 3;
/** A chunk's dead records are slid out once they are more than half of it and at least this many words. */
const MIN_DEAD_TO_COMPACT = 1024;
/** Tombstones (deleted pair numbers) are squeezed out once there are more than this and more than live pairs. */
const MIN_HOLES_TO_SQUEEZE = 64;
/** Pair numbers a squeeze examines at each insert or removal while it runs. */
const SQUEEZE_STEP = 64;
/** The fewest refs kept (32: 128 bytes, an ArrayBuffer of its own; V8 keeps typed arrays of up to 64 bytes on its heap, which would be counted twice). */
const MIN_REFS = 32;
/**
 * Refs from which their next buffer is made ahead: ColumnBuffer makes buffers from 1 MiB,
 * twice these refs' 4 bytes each.
 */
const REFS_AHEAD_FROM = 1 << 17;
/** The smallest arena (bytes). */
const MIN_ARENA = 256;
/** What a dropped chunk's number holds until it is used again (nothing can be written into them). */
const NO_BYTES = Buffer.alloc(0);
const NO_WORDS = new Int32Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** Words a record of a field and an in-arena value of these lengths takes. */
function recordWords(fieldLength: number, valueLength: number): number {
  return HEADER_WORDS + ((fieldLength + valueLength + 3) >> 2);
}

/** Words the record at word w of a chunk takes (an outside value's are not in it). */
function recordWordsAt(words: Int32Array, w: number): number {
  const valueLength = words[w + 2]!;
  return recordWords(words[w + 1]!, valueLength === OUTSIDE ? 0 : valueLength);
}

/**
 * The fields and values of a hash in its table form (past hash-max-listpack-entries or
 * -value), kept as bytes in arena chunks instead of two V8 strings per pair.
 *
 * Why: HSET of 230-byte values into a 100k-field hash spent a tenth of the server's
 * time in V8's scavenger and marker (each stored value a young string that survives,
 * is copied and promoted, then kept track of by the old generation's GC), more in the
 * write barrier, and its field lookup followed two dependent pointers (the pair array,
 * then the field string) after the table slot. Here a value is written into the arena
 * from the argument's string, which then dies young (as SET's does), and the table slot
 * holds the record's ref: slot, then record.
 *
 * - Records, 4-byte aligned: [pair][field length][value length][field bytes][value
 *   bytes], a word each for the first three. A value longer than OUTSIDE_FROM stays a
 *   string in `outside` (value length OUTSIDE).
 * - Chunks: a small table's records are in one chunk that grows by half (a copy) up to
 *   256 KiB; past that, new records go into a new full chunk (the head), so the arena
 *   grows without copying what it holds. (One arena grown by half copied all of it in
 *   one call: 600 ms at 860k fields of 230 bytes, 7 ms from 10k.) A record of more than
 *   SOLO_FROM words has a chunk of its own. A ref is the chunk's number (high bits) and
 *   the record's word offset in it (low CHUNK_SHIFT bits).
 * - Pair numbers: each field has one (HSCAN's cursor counts down through them and
 *   HRANDFIELD picks one at random, as HashValue did over its pair array); refs[pair]
 *   is its record's ref, DELETED once it is removed. Deleted numbers are squeezed out
 *   when they outnumber live ones, a few at each write (squeezeStep), which moves
 *   pairs only towards 0.
 * - The index, a KeyTable keyed by the field's hash (seeded per hash), holds each pair
 *   with its record's ref as the aux word, so a lookup reads the slot and then the
 *   record.
 * - A value rewritten with a length that needs the same words is written in place;
 *   otherwise the record is written at the head and the old one is dead. Once dead
 *   records are more than half of a chunk, the chunk is emptied: the head's live records
 *   slide down over the dead (and a lone chunk shrinks when a quarter of it is used);
 *   another chunk's are moved to the head (at most half a chunk, 128 KiB) and the chunk
 *   is dropped. So memory comes back a chunk at a time, and no step copies more than a
 *   chunk.
 *
 * Memory (`npm run bench -- --only collections`: one hash of 1M fields of 14 bytes with
 * values of up to 10): used_memory 93 bytes a field against Redis's 70, RSS 88 against
 * 80 (with the strings: RSS 143 a field, for fields of 13 bytes).
 */
export class FieldTable implements KeyMatcher<string> {
  private readonly index: KeyTable<string>;
  private readonly seed: number;
  /** Each chunk's bytes, the same as words, and a DataView over them (for replies that copy values out in words). */
  // Each of these five starts as a literal of one element, chunk 0's (the constructor
  // sets it): an empty array given its first element takes 17 slots, ~700 bytes more
  // a table for the five, which a 200-member set's heap showed.
  private readonly chunkBytes: Buffer[] = [NO_BYTES];
  private readonly chunkWords: Int32Array[] = [NO_WORDS];
  private readonly chunkViews: DataView[] = [NO_VIEW];
  /** Words in use from each chunk's start, dead records included. */
  private readonly chunkEnd: number[] = [0];
  /** Words of dead records below each chunk's end. */
  private readonly chunkDead: number[] = [0];
  /** Numbers of dropped chunks, to be used again. */
  private readonly freeChunks: number[] = [];
  /** The chunk new records go to. */
  private head = 0;
  /** Chunks held. */
  private chunks = 0;
  /** Bytes of the chunks held. */
  private arenaBytes = 0;
  /** Words of live records. */
  private liveWords = 0;
  /** Pair -> record ref, or DELETED; pairs are numbered below `top`. */
  private refs: Int32Array;
  /**
   * The refs' next (doubled) buffer, made and written ahead as the last pair numbers are
   * given out (a doubling at 2^20 pairs wrote 4 MiB of new memory in one call: 12 ms).
   * Made only once the refs reach REFS_AHEAD_FROM: smaller tables (nearly all) carry none.
   */
  private refsAhead: ColumnBuffer | null = null;
  private top = 0;
  /**
   * A running squeeze (squeezeStep): the next pair number it examines, or -1 when none
   * runs, and the number the next live pair it meets moves to. Numbers between the two
   * are DELETED.
   */
  private squeezeFrom = -1;
  private squeezeTo = 0;
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
    this.setChunk(0, this.newArena(Math.max(MIN_ARENA, Math.min(CHUNK_WORDS, Math.max(MIN_ARENA, expectedBytes + 3) >> 2) << 2)));
    this.chunks = 1;
  }

  /** Live fields. */
  get size(): number {
    return this.index.size;
  }

  /** Pair numbers in use, deleted ones included: fieldAt/valueAt take 0 .. pairCount - 1. */
  get pairCount(): number {
    return this.top;
  }

  /** What the table holds in memory: the arena's chunks, the refs, the index and the outside strings (O(1)). */
  get bytesUsed(): number {
    return this.arenaBytes + 4 * this.refs.length + (this.refsAhead?.aheadBytes ?? 0) + 80 + this.index.bytes + (this.outside === null ? 0 : 32 * this.outside.size + this.outsideChars);
  }

  /** KeyMatcher of the index: whether the record at `aux` holds field. */
  matches(_pair: number, field: string, aux: number): boolean {
    const chunk = aux >> CHUNK_SHIFT;
    const w = aux & OFFSET_MASK;
    const at = (w + HEADER_WORDS) << 2;
    return keyEqualsBytes(field, this.chunkBytes[chunk]!, at, at + this.chunkWords[chunk]![w + 1]!);
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
    const ref = this.refs[pair]!;
    if (ref === DELETED) return null;
    const chunk = ref >> CHUNK_SHIFT;
    const w = ref & OFFSET_MASK;
    const at = (w + HEADER_WORDS) << 2;
    return readLatin1(this.chunkBytes[chunk]!, at, at + this.chunkWords[chunk]![w + 1]!);
  }

  /** The value of pair, or null if the pair was deleted. */
  valueAt(pair: number): string | null {
    const ref = this.refs[pair]!;
    if (ref === DELETED) return null;
    const chunk = ref >> CHUNK_SHIFT;
    const w = ref & OFFSET_MASK;
    const words = this.chunkWords[chunk]!;
    const valueLength = words[w + 2]!;
    if (valueLength === OUTSIDE) return this.outside!.get(pair)!;
    const at = ((w + HEADER_WORDS) << 2) + words[w + 1]!;
    return readLatin1(this.chunkBytes[chunk]!, at, at + valueLength);
  }

  /** The chunk holding a live pair's record, for copying its bytes out (fieldStartAt, valueStartAt); valid until the table next changes. */
  arenaOf(pair: number): Buffer {
    return this.chunkBytes[this.refs[pair]! >> CHUNK_SHIFT]!;
  }

  /** A DataView over arenaOf(pair) (for copies in words); valid until the table next changes. */
  arenaViewOf(pair: number): DataView {
    return this.chunkViews[this.refs[pair]! >> CHUNK_SHIFT]!;
  }

  /** Where a live pair's field starts in arenaOf(pair) (fields are always there). */
  fieldStartAt(pair: number): number {
    return ((this.refs[pair]! & OFFSET_MASK) + HEADER_WORDS) << 2;
  }

  /** The field's length of a live pair. */
  fieldLengthAt(pair: number): number {
    const ref = this.refs[pair]!;
    return this.chunkWords[ref >> CHUNK_SHIFT]![(ref & OFFSET_MASK) + 1]!;
  }

  /** Where a live pair's value starts in arenaOf(pair), or -1 if it is kept outside (a string: valueAt). */
  valueStartAt(pair: number): number {
    const ref = this.refs[pair]!;
    const w = ref & OFFSET_MASK;
    const words = this.chunkWords[ref >> CHUNK_SHIFT]!;
    return words[w + 2] === OUTSIDE ? -1 : ((w + HEADER_WORDS) << 2) + words[w + 1]!;
  }

  /** The value's length of a live pair, without making a string of it. */
  valueLengthAt(pair: number): number {
    const ref = this.refs[pair]!;
    const valueLength = this.chunkWords[ref >> CHUNK_SHIFT]![(ref & OFFSET_MASK) + 2]!;
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
    if (this.refs.length >= REFS_AHEAD_FROM) (this.refsAhead ??= this.newRefsAhead()).given(p, this.refs.length);
    const ref = this.place(recordWords(field.length, value.length > OUTSIDE_FROM ? 0 : value.length));
    const chunk = ref >> CHUNK_SHIFT;
    if (field.length > 0) writeLatin1(this.chunkBytes[chunk]!, field, ((ref & OFFSET_MASK) + HEADER_WORDS) << 2);
    this.writeRecord(ref, p, field.length, value);
    this.refs[p] = ref;
    this.top = p + 1;
    this.index.insert(hash, p, ref);
    this.stepResize();
    if (this.squeezeFrom >= 0) this.squeezeStep();
  }

  /** Removes field; true if it existed. */
  remove(field: string): boolean {
    const hash = hashString(this.seed, field);
    const pair = this.index.find(hash, field);
    if (pair < 0) return false;
    this.index.remove(hash, pair);
    this.stepResize();
    const chunk = this.kill(pair, this.refs[pair]!);
    this.refs[pair] = DELETED;
    if (pair === this.top - 1) {
      // The last pair: drop it, and any deleted ones it was covering (a running
      // squeeze's gap too: it is then done).
      let top = pair;
      while (top > 0 && this.refs[top - 1] === DELETED) top--;
      this.top = top;
      if (this.squeezeFrom >= top) this.endSqueeze();
    } else if (this.squeezeFrom >= 0) {
      this.squeezeStep();
    } else {
      const holes = this.top - this.index.size;
      if (holes > MIN_HOLES_TO_SQUEEZE && holes > this.index.size) {
        this.squeezeFrom = 0;
        this.squeezeTo = 0;
        this.squeezeStep();
      }
    }
    this.tidy(chunk);
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
   * oldest: fields added during an iteration are not visited, and squeezeStep() only moves
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
    const copy = new FieldTable(this.arenas, this.index.size, this.liveWords << 2);
    this.forEach((field, value) => copy.set(field, value));
    return copy;
  }

  /** Replaces the value of a live pair (stored under hash). */
  private replaceValue(hash: number, pair: number, value: string): void {
    const old = this.refs[pair]!;
    const chunk = old >> CHUNK_SHIFT;
    const w = old & OFFSET_MASK;
    const words = this.chunkWords[chunk]!;
    const fieldLength = words[w + 1]!;
    const oldLength = words[w + 2]!;
    const length = value.length;
    if (oldLength !== OUTSIDE && length <= OUTSIDE_FROM && recordWords(fieldLength, length) === recordWords(fieldLength, oldLength)) {
      words[w + 2] = length;
      if (length > 0) writeLatin1(this.chunkBytes[chunk]!, value, ((w + HEADER_WORDS) << 2) + fieldLength);
      return;
    }
    if (oldLength === OUTSIDE && length > OUTSIDE_FROM) {
      this.outsideChars += length - this.outside!.get(pair)!.length;
      this.outside!.set(pair, value);
      return;
    }
    // Another size: a new record at the head, with the field copied from the old one.
    const ref = this.place(recordWords(fieldLength, length > OUTSIDE_FROM ? 0 : length));
    // Read after place(), which may have replaced the old record's chunk's buffer.
    const fieldAt = (w + HEADER_WORDS) << 2;
    this.chunkBytes[ref >> CHUNK_SHIFT]!.set(this.chunkBytes[chunk]!.subarray(fieldAt, fieldAt + fieldLength), ((ref & OFFSET_MASK) + HEADER_WORDS) << 2);
    // The old record's value leaves `outside` before the new one may enter it.
    this.kill(pair, old);
    this.writeRecord(ref, pair, fieldLength, value);
    this.refs[pair] = ref;
    this.index.setAux(hash, pair, ref);
    this.tidy(chunk);
  }

  /** Writes a record's header and value at ref (its field bytes are in place). */
  private writeRecord(ref: number, pair: number, fieldLength: number, value: string): void {
    const chunk = ref >> CHUNK_SHIFT;
    const w = ref & OFFSET_MASK;
    const words = this.chunkWords[chunk]!;
    words[w] = pair;
    words[w + 1] = fieldLength;
    const length = value.length;
    if (length > OUTSIDE_FROM) {
      words[w + 2] = OUTSIDE;
      (this.outside ??= new Map()).set(pair, value);
      this.outsideChars += length;
    } else {
      words[w + 2] = length;
      if (length > 0) writeLatin1(this.chunkBytes[chunk]!, value, ((w + HEADER_WORDS) << 2) + fieldLength);
    }
  }

  /** Marks the record of pair at ref dead (its outside value dropped) and returns its chunk; tidy() that chunk once the caller is done. */
  private kill(pair: number, ref: number): number {
    const chunk = ref >> CHUNK_SHIFT;
    const w = ref & OFFSET_MASK;
    const words = this.chunkWords[chunk]!;
    const valueLength = words[w + 2]!;
    if (valueLength === OUTSIDE) {
      this.outsideChars -= this.outside!.get(pair)!.length;
      this.outside!.delete(pair);
    }
    words[w] = DEAD;
    const n = recordWordsAt(words, w);
    this.chunkDead[chunk]! += n;
    this.liveWords -= n;
    return chunk;
  }

  /**
   * After a record in chunk died: a chunk more than half dead is emptied of its dead
   * records (the head slid down, another chunk's live records moved to the head and the
   * chunk dropped); and a lone chunk mostly empty gives memory back.
   */
  private tidy(chunk: number): void {
    const end = this.chunkEnd[chunk]!;
    const dead = this.chunkDead[chunk]!;
    if (chunk === this.head) {
      if (dead * 2 > end && dead >= MIN_DEAD_TO_COMPACT) this.slide(chunk, 0);
      else if (dead === end) this.chunkEnd[chunk] = this.chunkDead[chunk] = 0;
      return;
    }
    if (dead === end) this.dropChunk(chunk);
    else if (dead * 2 > end) this.evacuate(chunk);
    else return;
    const head = this.head;
    if (this.chunks === 1 && (this.chunkEnd[head]! - this.chunkDead[head]!) * 4 < this.chunkWords[head]!.length) this.slide(head, 0);
  }

  /**
   * Room for a record of `need` words: returns its ref, the words counted in use and
   * live (the caller writes the record). Moves no record: refs stay valid, though a
   * chunk's buffer may be replaced (the head grown).
   */
  private place(need: number): number {
    let chunk: number;
    if (need > SOLO_FROM) {
      chunk = this.newChunk(need);
    } else {
      chunk = this.head;
      if (this.chunkEnd[chunk]! + need > this.chunkWords[chunk]!.length) chunk = this.makeRoom(need);
    }
    const w = this.chunkEnd[chunk]!;
    this.chunkEnd[chunk] = w + need;
    this.liveWords += need;
    return (chunk << CHUNK_SHIFT) | w;
  }

  /**
   * Makes room for `need` words at the head, which has not: grows it by half while it is
   * under a full chunk, else starts a new head (the old one keeps its records). Returns
   * the head. (Its dead records need no sliding out here: tidy() slid them as soon as
   * they were more than half of it.)
   */
  private makeRoom(need: number): number {
    const chunk = this.head;
    const capacity = this.chunkWords[chunk]!.length;
    if (capacity < CHUNK_WORDS && this.chunkEnd[chunk]! + need <= CHUNK_WORDS) {
      this.resizeChunk(chunk, Math.min(CHUNK_WORDS, Math.max(this.chunkEnd[chunk]! + need, capacity + (capacity >> 1))));
      return chunk;
    }
    const next = this.newChunk(CHUNK_WORDS);
    this.head = next;
    if (this.chunkDead[chunk] === this.chunkEnd[chunk]) this.dropChunk(chunk);
    return next;
  }

  /** A new empty chunk of `words` words (at least MIN_ARENA bytes); returns its number. */
  private newChunk(words: number): number {
    const chunk = this.freeChunks.length > 0 ? this.freeChunks.pop()! : this.chunkBytes.length;
    if (chunk >= MAX_CHUNKS) throw new RangeError('a hash or set table holds at most 8 GiB of fields and values');
    this.setChunk(chunk, this.newArena(Math.max(MIN_ARENA, words << 2)));
    this.chunkEnd[chunk] = 0;
    this.chunkDead[chunk] = 0;
    this.chunks++;
    return chunk;
  }

  /** Makes bytes chunk's storage (its end and dead counts unchanged), counting them in arenaBytes. */
  private setChunk(chunk: number, bytes: Buffer): void {
    this.arenaBytes += bytes.length - (this.chunkBytes[chunk]?.length ?? 0);
    this.chunkBytes[chunk] = bytes;
    this.chunkWords[chunk] = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    this.chunkViews[chunk] = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Gives back a chunk that is not the head and holds no live record. */
  private dropChunk(chunk: number): void {
    this.arenas?.release?.(this.chunkBytes[chunk]!.length);
    this.arenaBytes -= this.chunkBytes[chunk]!.length;
    this.chunkBytes[chunk] = NO_BYTES;
    this.chunkWords[chunk] = NO_WORDS;
    this.chunkViews[chunk] = NO_VIEW;
    this.chunkEnd[chunk] = 0;
    this.chunkDead[chunk] = 0;
    this.chunks--;
    this.freeChunks.push(chunk);
  }

  /** A new buffer of `wordsWanted` words for chunk, holding the words in use of the old one. */
  private resizeChunk(chunk: number, wordsWanted: number): void {
    const old = this.chunkBytes[chunk]!;
    const bytes = this.newArena(Math.max(MIN_ARENA, wordsWanted << 2));
    old.copy(bytes, 0, 0, this.chunkEnd[chunk]! << 2);
    this.arenas?.release?.(old.length);
    this.setChunk(chunk, bytes);
  }

  /**
   * Slides chunk's live records down over its dead ones, in order, updating each moved
   * pair's ref and index aux word; a lone chunk mostly empty then gives memory back
   * (keeping room for `need` more words).
   */
  private slide(chunk: number, need: number): void {
    const words = this.chunkWords[chunk]!;
    const end = this.chunkEnd[chunk]!;
    const base = chunk << CHUNK_SHIFT;
    let to = 0;
    for (let from = 0; from < end; ) {
      const n = recordWordsAt(words, from);
      const pair = words[from]!;
      if (pair !== DEAD) {
        if (to !== from) {
          words.copyWithin(to, from, from + n);
          this.relocated(pair, base | to);
        }
        to += n;
      }
      from += n;
    }
    this.chunkEnd[chunk] = to;
    this.chunkDead[chunk] = 0;
    const wanted = to + need;
    if (this.chunks === 1 && wanted * 4 < words.length && words.length << 2 > MIN_ARENA) this.resizeChunk(chunk, wanted + (wanted >> 1));
  }

  /** A live pair's record was copied to ref: its ref and its index entry's aux word say so (slide, evacuate). */
  private relocated(pair: number, ref: number): void {
    this.refs[pair] = ref;
    const chunk = ref >> CHUNK_SHIFT;
    const w = ref & OFFSET_MASK;
    const at = (w + HEADER_WORDS) << 2;
    this.index.setAux(hashBytes(this.seed, this.chunkBytes[chunk]!, at, at + this.chunkWords[chunk]![w + 1]!), pair, ref);
  }

  /** Moves a chunk's live records (at most half of it) to the head, updating refs and the index, and drops the chunk. */
  private evacuate(chunk: number): void {
    const words = this.chunkWords[chunk]!;
    const end = this.chunkEnd[chunk]!;
    for (let from = 0; from < end; ) {
      const n = recordWordsAt(words, from);
      const pair = words[from]!;
      if (pair !== DEAD) {
        // place() never picks this chunk: it is not the head, and is dropped only below.
        const ref = this.place(n);
        this.liveWords -= n;
        this.chunkWords[ref >> CHUNK_SHIFT]!.set(words.subarray(from, from + n), ref & OFFSET_MASK);
        this.relocated(pair, ref);
      }
      from += n;
    }
    this.dropChunk(chunk);
  }

  /**
   * One step of a squeeze: renumbers the live pairs 0 .. size - 1 in order, dropping the
   * deleted numbers, SQUEEZE_STEP pair numbers at a time (one pass over a million pairs
   * took 113 ms). Each moved pair's ref, record and index entry change together, and a
   * pair only moves towards 0, as scan() needs; pairs added meanwhile are numbered past
   * the top and moved when the squeeze reaches them.
   */
  private squeezeStep(): void {
    const refs = this.refs;
    const outside = this.outside;
    const top = this.top;
    let from = this.squeezeFrom;
    let to = this.squeezeTo;
    for (let examined = 0; from < top && examined < SQUEEZE_STEP; from++, examined++) {
      const ref = refs[from]!;
      if (ref === DELETED) continue;
      if (to !== from) {
        const chunk = ref >> CHUNK_SHIFT;
        const w = ref & OFFSET_MASK;
        const words = this.chunkWords[chunk]!;
        refs[to] = ref;
        refs[from] = DELETED;
        words[w] = to;
        const at = (w + HEADER_WORDS) << 2;
        this.index.replace(hashBytes(this.seed, this.chunkBytes[chunk]!, at, at + words[w + 1]!), from, to);
        if (words[w + 2] === OUTSIDE) {
          outside!.set(to, outside!.get(from)!);
          outside!.delete(from);
        }
      }
      to++;
    }
    this.squeezeTo = to;
    this.squeezeFrom = from;
    if (from === top) {
      this.top = to;
      this.endSqueeze();
    }
  }

  /** A squeeze is done (the top is where it left off, or lower): the refs shrink if mostly unused. */
  private endSqueeze(): void {
    this.squeezeFrom = -1;
    const refs = this.refs;
    const top = this.top;
    if (top * 4 < refs.length && refs.length > 64) {
      this.refsAhead?.reset();
      const kept = this.newRefs(Math.max(MIN_REFS, top + (top >> 1)));
      kept.set(refs.subarray(0, top));
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

  /** The refs' ColumnBuffer: its buffers counted by the keyspace's BufferCount, from allocation to release. */
  private newRefsAhead(): ColumnBuffer {
    return new ColumnBuffer(
      [4],
      (bytes) => this.newRefs(bytes >> 2).buffer as ArrayBuffer,
      (bytes) => this.arenas?.release?.(bytes),
    );
  }

  /** Doubles the refs, into the buffer made ahead when there is one. */
  private growRefs(): void {
    const length = this.refs.length * 2;
    const refs = this.refsAhead !== null ? new Int32Array(this.refsAhead.take(length)) : this.newRefs(length);
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
