import type { Entry } from './entry.js';
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
 * - An entry: the Entry object (header and 7 fields: 80 bytes), its slot in the
 *   database's Map (an OrderedHashMap: 3 words per entry plus buckets, at its average
 *   load) and in the insertion order array: 128 bytes.
 * - A deadline: its HeapNumber box, 16 bytes (no deadline is a shared Infinity).
 * - A hash: see HashValue.estimatedBytes.
 */
export const ENTRY_BYTES = 128;
export const DEADLINE_BYTES = 16;

export function stringBytes(length: number): number {
  return length <= 1 ? 0 : (16 + length + 7) & ~7;
}

export function valueBytes(value: Value): number {
  return typeof value === 'string' ? stringBytes(value.length) : value.estimatedBytes;
}

/** What a key costs: entry, key string, value, deadline. */
export function entryBytes(entry: Entry): number {
  return ENTRY_BYTES + stringBytes(entry.key.length) + valueBytes(entry.value) + (entry.deadline !== Infinity ? DEADLINE_BYTES : 0);
}
