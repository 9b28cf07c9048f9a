import type { Value } from './values.js';

/**
 * What keys cost in memory, estimated from their sizes: the model behind maxmemory's
 * dataset figure, MEMORY USAGE and INFO used_memory_dataset. The constants were
 * measured with node 20 on x64 (no pointer compression): the heap (and external memory)
 * taken by 200,000 keys, after GC, divided by their number (see
 * test/unit/memory-cost.test.ts, which checks the model against the heap).
 *
 * - A one-byte V8 string: a 16-byte header (map, hash, length) and its bytes, padded to
 *   8. Strings of 0 or 1 byte cost nothing: V8 shares them.
 * - A key: its id's columns, table bucket and record header in the database's KeyStore
 *   (STORED_KEY_OVERHEAD), plus its key bytes; a string value its bytes (both in the
 *   store's slab, off the V8 heap: no string header).
 * - A deadline: a slot of the id's deadline column, in the key's overhead.
 * - A hash: see HashValue.estimatedBytes.
 */
/**
 * What a key costs in the store, for the maxmemory model (memory-cost.ts): the columns
 * (deadline 8, links 8, access 4, ref 4, kind 1: 25 bytes, up to 2x for the doubling
 * growth of id columns), the table's bucket (8 bytes at a load between 3/8 and 3/4),
 * and the record's header and padding (owner word, length, key length: 8 bytes on
 * average). Checked against what 100k keys really take in test/unit/memory-accounting.
 */
export const ENTRY_BYTES = 72;

/**
 * What a collection key costs besides ENTRY_BYTES: its value's slot in the store's
 * ObjectsById (store/objects-by-id.ts), 8 bytes where the ids of its page of 1,024 all
 * hold collections; a page that also holds strings costs its collections more (8 KB a
 * page, whatever it holds), which this average leaves out. (A Map held them until
 * stop 35: 39 bytes an entry on average.) String keys have no such slot.
 */
export const OBJECT_REF_BYTES = 8;

/** A deadline is a slot of the store's deadline column, counted in ENTRY_BYTES. */
export const DEADLINE_BYTES = 0;

export function stringBytes(length: number): number {
  return length <= 1 ? 0 : (16 + length + 7) & ~7;
}

/**
 * A JS array's header and its backing store's header (JSArray 32 bytes, FixedArray 16);
 * each slot then costs 8 bytes (a pointer, or an unboxed double in a double array).
 */
export const ARRAY_BYTES = 48;

/**
 * The slots V8 (node 20) gives an array that must hold `length` elements and has
 * `capacity`: the same if they fit, else length + length/2 + 16 (JSObject's
 * NewElementsCapacity, what push, unshift and splice grow by).
 */
export function grownCapacity(capacity: number, length: number): number {
  return length <= capacity ? capacity : length + (length >> 1) + 16;
}

/**
 * The slots of an array grown from empty to `length` one push at a time: 17, 43, 82,
 * 140, 227, ... (measured: an array of 200 pushed numbers takes 48 + 8 * 227 bytes).
 * O(log length).
 */
export function pushedCapacity(length: number): number {
  let capacity = 0;
  while (capacity < length) capacity = grownCapacity(capacity, capacity + 1);
  return capacity;
}

/**
 * The slots left when an array of `capacity` slots shrinks from oldLength to length
 * (V8's SetLengthImpl, also behind pop): nothing at 0; trimmed when more than half would
 * be unused beyond 16, by half the spare slots for a pop of one, to length otherwise.
 */
export function trimmedCapacity(capacity: number, oldLength: number, length: number): number {
  if (length === 0) return 0;
  if (2 * length + 16 > capacity) return capacity;
  return length + 1 === oldLength ? capacity - ((capacity - length) >> 1) : length;
}

/**
 * A Map of `size` entries grown by insertions (V8's OrderedHashMap, node 20): the JSMap
 * (32 bytes) and its table, a FixedArray of 3 header words, capacity/2 buckets and 3
 * words per entry (key, value, chain), its capacity the power of two from 4 that holds
 * `size` (it doubles when full). Measured, bytes per Map: 183 empty, 296 for 5 entries,
 * 7,233 for 200, 229,466 for 5,000, 3,670,594 for 100,000; this gives 184, 296, 7,240,
 * 229,448, 3,670,088. After deletions the table may be up to twice larger (it halves
 * when under a quarter full) and removed entries hold their slots until it is rebuilt.
 */
export function mapBytes(size: number): number {
  const capacity = size <= 4 ? 4 : (1 << (31 - Math.clz32(size - 1))) * 2;
  return 32 + 16 + 24 + 28 * capacity;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? stringBytes(value.length) : value.estimatedBytes;
}


