import type { ListValue } from '../keyspace/list.js';
import { encodeListpack, listpackEntryBytes } from './listpack.js';

/**
 * How a list is cut into the quicklist nodes of an RDB_TYPE_LIST_QUICKLIST_2 value, as
 * Redis 7.0 would hold the same list built by pushes to its tail (quicklist.c
 * _quicklistNodeAllowInsert): with a negative fill (list-max-listpack-size -1..-5) a node
 * takes elements while its listpack stays within 4, 8, 16, 32 or 64 KB counting each new
 * element's length plus 8 bytes; with a positive fill it takes up to `fill` elements and
 * at most 8 KB. lapse's own nodes (keyspace/list.ts) are cut differently: the file holds
 * Redis's shape, whatever lapse's.
 */

/** Listpack bytes of an empty listpack: the 6-byte header and the end byte. */
const LP_EMPTY_BYTES = 7;
/** quicklist.c SIZE_ESTIMATE_OVERHEAD and SIZE_SAFETY_LIMIT. */
const SIZE_ESTIMATE_OVERHEAD = 8;
const SIZE_SAFETY_LIMIT = 8192;
/** quicklist.c optimization_level: the node size limits of fill -1 to -5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** quicklist.c FILL_MAX: positive fills are capped there, negative ones at -5. */
const FILL_MAX = 32767;

/** quicklist.c QUICKLIST_NODE_CONTAINER_PACKED: a node holding a listpack. */
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;
/** QUICKLIST_NODE_CONTAINER_PLAIN: a node holding one large element as it is. */
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;

/** The list's elements as Redis 7.0's quicklist nodes, each a listpack, for list-max-listpack-size `fill`. */
export function quicklistNodes(list: ListValue, fill: number): Buffer[] {
  const f = fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
  const sizeLimit = f < 0 ? OPTIMIZATION_LEVEL[-f - 1]! : 0;
  const nodes: Buffer[] = [];
  let current: string[] = [];
  let bytes = LP_EMPTY_BYTES;
  list.forEach((element) => {
    if (current.length > 0) {
      const estimate = bytes + element.length + SIZE_ESTIMATE_OVERHEAD;
      const fits = f < 0 ? estimate <= sizeLimit : estimate <= SIZE_SAFETY_LIMIT && current.length < f;
      if (!fits) {
        nodes.push(encodeListpack(current));
        current = [];
        bytes = LP_EMPTY_BYTES;
      }
    }
    current.push(element);
    bytes += listpackEntryBytes(element);
  });
  if (current.length > 0) nodes.push(encodeListpack(current));
  return nodes;
}

/**
 * Whether node i of n is compressed with list-compress-depth `depth`, as quicklist.c
 * __quicklistCompress leaves it: the `depth` nodes at each end never are, and nothing is
 * while the list has fewer than 2 * depth nodes.
 */
export function compressedNode(i: number, n: number, depth: number): boolean {
  return depth > 0 && n >= depth * 2 && i >= depth && i < n - depth;
}

/** quicklist.c MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE: a node is compressed when it is this big and LZF saves this much. */
export const MIN_COMPRESS_BYTES = 48;
export const MIN_COMPRESS_IMPROVE = 8;
