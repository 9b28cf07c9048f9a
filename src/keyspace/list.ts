import type { ValueObject } from './values.js';
import { entryEnd, entryEquals, entrySize, entryStart, entryTextBounds, entryValue, packedInteger, sendEntry, writeEntry, type EntrySink } from './list-packing.js';

/**
 * A server's settings for its lists: Redis's list-max-listpack-size (`fill`, alias
 * list-max-ziplist-size) and list-compress-depth. Redis 7.0 keeps every list as a
 * quicklist whose node size follows `fill` and whose inner nodes are LZF-compressed
 * beyond `compressDepth` nodes from each end. In lapse both shape only the RDB file:
 * the nodes written (persistence/rdb-list.ts) are cut and compressed as Redis 7.0's
 * would be for a list built by pushes to its tail; the in-memory nodes are lapse's own
 * (see ListValue). One per keyspace, set by server/config-effects.ts.
 */
export interface ListEncoding {
  fill: number;
  compressDepth: number;
}

/** Redis 7.0's defaults (list-max-listpack-size -2: 8 KB nodes; no compression). Frozen: a constant. */
export const REDIS_LIST_ENCODING: Readonly<ListEncoding> = Object.freeze({ fill: -2, compressDepth: 0 });

/** A server's ListEncoding, at Redis's defaults until its configuration is applied. */
export function newListEncoding(): ListEncoding {
  return { fill: REDIS_LIST_ENCODING.fill, compressDepth: REDIS_LIST_ENCODING.compressDepth };
}

/** Most elements a node holds. */
const NODE_MAX_COUNT = 1024;
/**
 * Most entry bytes a node holds (one element may exceed it alone). Four times Redis's
 * 8 KB listpacks (which shape only lapse's RDB files, persistence/rdb-list.ts): each
 * node's buffer is an ArrayBuffer, whose making V8 charges a few microseconds and whose
 * count its collector walks; with 8 KB nodes, redis-benchmark -P 16 LPUSH of 230-byte
 * values cost 2.50 us of server CPU a request against 2.10 with 32 KB (and 1.96 for the
 * string nodes before).
 */
const NODE_MAX_BYTES = 32768;
/** The smallest buffer a node starts with. */
const MIN_CAPACITY = 16;
/** Buffers up to this size are V8 heap objects (node 20's typed arrays of at most 64 bytes). */
const ON_HEAP_MAX = 64;
/**
 * A node's buffer grown past ON_HEAP_MAX is at least this large: every buffer outside the
 * heap leaves its memory and bookkeeping behind until V8 collects it, so skipping the
 * small sizes saves more than the spare bytes cost. 100,000 lists pushed one element of
 * 20 bytes at a time into a fresh server, RSS a list: five elements 1,475 -> 1,300 bytes,
 * ten 1,990 -> 1,314 (the string nodes 964 and 1,170; Redis 437 for ten).
 */
const MIN_GROWN_OFF_HEAP = 256;
/** An inner node's buffer is cut to its entries when more than this is spare (and an eighth of it). */
const TRIM_SLACK = 64;

/**
 * Estimated bytes (node 20, x64, no pointer compression; checked against the heap by
 * test/unit/list-value.test.ts and test/unit/collection-memory.test.ts): a node object
 * (header and 7 fields: 80.5 bytes measured), the list object (header and 6 fields), and a node's buffer:
 * up to 64 bytes a V8 heap object of 208 bytes plus its bytes rounded to 8, larger ones
 * a 192-byte object on the heap and their bytes outside it, counted by the keyspace's
 * BufferCount (so memory figures see them) through a 72-byte WeakCell of its registry.
 */
const NODE_BYTES = 80;
const LIST_BYTES = 72;

/** What a buffer of `capacity` bytes costs; `counted`: whether a BufferCount registered it (a 72-byte WeakCell). */
function bufferCost(capacity: number, counted: boolean): number {
  if (capacity <= ON_HEAP_MAX) return 208 + ((capacity + 7) & ~7);
  return (counted ? 264 : 192) + capacity;
}

/**
 * One node of a list: a run of consecutive elements as entries (list-packing.ts) in
 * buf[start, end). The nodes at the two ends keep spare bytes on their outer side for
 * pushes (a buffer grown by doubling, or made whole: see startCapacity); a node that
 * stops being an end has its buffer cut to its entries.
 */
class ListNode {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  buf: Buffer;
  start: number;
  end: number;
  count = 0;
  /** A DataView over a shared `buf`, made when a reply first copies from it (sharedView). */
  view: DataView | null = null;

  constructor(buf: Buffer, start: number) {
    this.buf = buf;
    this.start = start;
    this.end = start;
  }
}

/** Elements of a node in order. */
function nodeItems(node: ListNode): string[] {
  const out: string[] = new Array(node.count);
  const b = node.buf;
  let p = node.start;
  for (let i = 0; i < node.count; i++) {
    out[i] = entryValue(b, p);
    p = entryEnd(b, p);
  }
  return out;
}

/** Where a list's elements go as bytes: a text element's bytes, or an integer entry's value (a reply writer is one). */
export type ListElementSink = EntrySink;

/**
 * Where rangeTo sends elements: also runs of text elements of one node, the k-th
 * src[bounds[2k], bounds[2k+1]), all within src[from, to) (a reply writer is one).
 */
export interface ListRangeSink extends ListElementSink {
  bulkRuns(src: Uint8Array, from: number, to: number, bounds: readonly number[], count: number, shared: DataView | null): void;
}

/** A position in the list: a node and the index in it. */
interface Cursor {
  node: ListNode;
  index: number;
}

/**
 * Where a list's node buffers come from: its keyspace's BufferCount (hashEncoding.arenas),
 * which counts them for memory figures until they are collected.
 */
export interface NodeBuffers {
  buffer(size: number): Buffer;
  shared(size: number): SharedArrayBuffer;
  /** Told of a buffer the list replaced or dropped: garbage until V8 collects it. */
  release?(bytes: number): void;
}

/**
 * Node buffers from this size are SharedArrayBuffers, because V8 does not see those grow
 * its external memory: with plain ArrayBuffers it ran a full collection every 10-15 MB of
 * list (22 instead of 2 in a 1M-element LPUSH load), and -P 16 LPUSH cost 2.04 us of
 * server CPU a request against 1.70 (median of 5 pinned runs each). Smaller ones stay
 * plain: small SharedArrayBuffers cost more RSS, and a list's first node passes through
 * the small sizes as it doubles (100,000 lists of ten 20-byte elements in a fresh server,
 * before MIN_GROWN_OFF_HEAP: 2,058-2,109 bytes of RSS a list with shared buffers from 65
 * bytes, 1,864-1,993 from 4 KB).
 */
const SHARED_FROM = 4096;

/**
 * A node's buffer: up to ON_HEAP_MAX a V8 heap object; larger, with a source, a plain
 * ArrayBuffer below SHARED_FROM and a SharedArrayBuffer from it.
 */
function newBuffer(source: NodeBuffers | null, capacity: number): Buffer {
  if (capacity <= ON_HEAP_MAX || source === null) return Buffer.allocUnsafeSlow(capacity);
  return capacity < SHARED_FROM ? source.buffer(capacity) : Buffer.from(source.shared(capacity));
}

/**
 * A list of latin1 strings: a doubly linked list of nodes (Redis's quicklist idea), each
 * holding up to 1,024 elements and 32 KB of entries in a buffer of bytes (see ListNode and
 * list-packing.ts).
 *
 * Why: a JS array of strings costs 8 bytes of slot and 16 or more of V8 string header
 * per element (32 bytes for a 3-byte element, Redis's listpack spends 5), a single array
 * cannot take pushes at its head in O(1), and every pushed string the collector has to
 * copy and promote (an earlier form kept the end nodes as arrays of strings and packed
 * inner nodes into latin1 strings, all of them on V8's heap). Bytes give O(1) push and
 * pop at both ends, index access walking the nodes from the nearer end (as Redis walks
 * its nodes), memory per element its length plus ~2-3 bytes, and a heap that holds a few
 * objects per node. Measured against the string nodes (bench/micro/list-memory.ts, 1M
 * elements, bytes an element, Redis beside): 3-byte 5.93 (was 6.2; Redis 5.14), 10-digit
 * ids 6.57 (7.0; 6.13), 40-byte 42.65 (42.9; 42.56); RSS an element of a 1M-element list
 * of 230-byte values 254 (272; Redis 247). The cost: small lists, whose one node's buffer
 * past 64 bytes carries V8's and the allocator's bookkeeping (100,000 lists of ten
 * 20-byte elements in a fresh server: 1,300-1,314 bytes of RSS a list, the string nodes
 * 1,170, Redis 437; see MIN_GROWN_OFF_HEAP).
 *
 * The list never empties itself out of the keyspace: commands delete the key when
 * `length` reaches 0 (commands/list-commands.ts, through the Database).
 */
export class ListValue implements ValueObject {
  private head: ListNode | null = null;
  private tail: ListNode | null = null;
  private size = 0;
  private nodes = 0;
  /** Sum of the nodes' bufferCost. */
  private bufferCosts = 0;
  /** Where node buffers past ON_HEAP_MAX come from (null: plain allocations). */
  private readonly arenas: NodeBuffers | null;

  constructor(arenas: NodeBuffers | null = null) {
    this.arenas = arenas;
  }

  /** On the prototype: one slot less per list. */
  get type(): 'list' {
    return 'list';
  }

  get length(): number {
    return this.size;
  }

  /** Number of nodes (DEBUG OBJECT's ql_nodes). */
  get nodeCount(): number {
    return this.nodes;
  }

  /** What Redis 7.0's OBJECT ENCODING answers for any list. */
  encoding(): string {
    return 'quicklist';
  }

  /** O(1): the list object, its nodes and their buffers. */
  get estimatedBytes(): number {
    return LIST_BYTES + NODE_BYTES * this.nodes + this.bufferCosts;
  }

  /** A deep copy (COPY; Redis's listTypeDup): the same elements, nodes of its own. */
  copy(): ListValue {
    const copy = new ListValue(this.arenas);
    for (let node = this.head; node !== null; node = node.next) {
      const live = node.end - node.start;
      const made = copy.linkNode(copy.tail, null, live, 0);
      node.buf.copy(made.buf, 0, node.start, node.end);
      made.end = live;
      made.count = node.count;
      copy.size += node.count;
    }
    return copy;
  }

  /** A list holding `elements`, in order (RDB load, tests). */
  static of(elements: readonly string[], arenas: NodeBuffers | null = null): ListValue {
    const list = new ListValue(arenas);
    for (const e of elements) list.pushTail(e);
    return list;
  }

  // --- Both ends -----------------------------------------------------------------------

  pushHead(value: string): void {
    const asInteger = packedInteger(value);
    const e = entrySize(value, asInteger);
    let node = this.head;
    if (node === null || !roomFor(node, e)) node = this.linkNode(null, this.head, this.startCapacity(e), -1);
    if (node.start < e) this.makeRoom(node, e, true);
    node.start -= e;
    writeEntry(node.buf, node.start, value, asInteger);
    node.count++;
    this.size++;
  }

  pushTail(value: string): void {
    const asInteger = packedInteger(value);
    const e = entrySize(value, asInteger);
    let node = this.tail;
    if (node === null || !roomFor(node, e)) node = this.linkNode(this.tail, null, this.startCapacity(e), 0);
    if (node.buf.length - node.end < e) this.makeRoom(node, e, false);
    writeEntry(node.buf, node.end, value, asInteger);
    node.end += e;
    node.count++;
    this.size++;
  }

  /** Removes and returns the first element; undefined when empty. */
  popHead(): string | undefined {
    const node = this.head;
    if (node === null) return undefined;
    const value = entryValue(node.buf, node.start);
    node.start = entryEnd(node.buf, node.start);
    this.shrank(node);
    return value;
  }

  /** Removes and returns the last element; undefined when empty. */
  popTail(): string | undefined {
    const node = this.tail;
    if (node === null) return undefined;
    const at = entryStart(node.buf, node.end);
    const value = entryValue(node.buf, at);
    node.end = at;
    this.shrank(node);
    return value;
  }

  /**
   * Removes the first (or, fromTail, the last) element and sends it to sink, from its
   * bytes (no string made); false when empty.
   */
  popTo(fromTail: boolean, sink: ListElementSink): boolean {
    const node = fromTail ? this.tail : this.head;
    if (node === null) return false;
    const at = fromTail ? entryStart(node.buf, node.end) : node.start;
    sendEntry(node.buf, at, sink, this.sharedView(node));
    if (fromTail) node.end = at;
    else node.start = entryEnd(node.buf, at);
    this.shrank(node);
    return true;
  }

  // --- By index ------------------------------------------------------------------------

  /** The element at index (0-based, negative from the end), or undefined. */
  at(index: number): string | undefined {
    const cur = this.seek(index);
    if (cur === null) return undefined;
    return entryValue(cur.node.buf, entryAt(cur.node, cur.index));
  }

  /** Replaces the element at index; false when out of range. */
  set(index: number, value: string): boolean {
    const cur = this.seek(index);
    if (cur === null) return false;
    const items = nodeItems(cur.node);
    items[cur.index] = value;
    this.replaceNode(cur.node, items);
    return true;
  }

  /**
   * Inserts value before (or after) the first element equal to pivot, from the head;
   * false when no element is.
   */
  insert(pivot: string, value: string, after: boolean): boolean {
    const cur = this.find(pivot);
    if (cur === null) return false;
    const items = nodeItems(cur.node);
    items.splice(after ? cur.index + 1 : cur.index, 0, value);
    this.replaceNode(cur.node, items);
    return true;
  }

  /**
   * Calls visit for `count` elements from index `start` (0-based, in range), towards
   * the tail, or towards the head from `start` when reverse.
   */
  range(start: number, count: number, reverse: boolean, visit: (value: string) => void): void {
    if (count <= 0) return;
    const cur = this.seek(start)!;
    let node: ListNode | null = cur.node;
    let p = entryAt(node, cur.index);
    let i = cur.index;
    for (;;) {
      const b: Buffer = node.buf;
      if (reverse) {
        for (; i >= 0 && count > 0; i--, count--) {
          visit(entryValue(b, p));
          if (i > 0) p = entryStart(b, p);
        }
        node = node.prev;
        if (node === null || count === 0) return;
        i = node.count - 1;
        p = entryStart(node.buf, node.end);
      } else {
        for (; i < node.count && count > 0; i++, count--) {
          visit(entryValue(b, p));
          p = entryEnd(b, p);
        }
        node = node.next;
        if (node === null || count === 0) return;
        i = 0;
        p = node.start;
      }
    }
  }

  /**
   * range() for a reply, towards the tail, no string made: the text elements of a node go
   * to sink.bulkRuns in runs (their bytes in place), an integer entry to sink.bulkInteger
   * between runs.
   */
  rangeTo(start: number, count: number, sink: ListRangeSink): void {
    if (count <= 0) return;
    const cur = this.seek(start)!;
    let node: ListNode | null = cur.node;
    let p = entryAt(node, cur.index);
    let i = cur.index;
    const bounds: number[] = [];
    while (node !== null && count > 0) {
      const b = node.buf;
      const view = this.sharedView(node);
      let runFrom = p;
      let k = 0;
      for (; i < node.count && count > 0; i++, count--) {
        const end = entryEnd(b, p);
        if (!entryTextBounds(b, p, bounds, 2 * k)) {
          if (k > 0) sink.bulkRuns(b, runFrom, p, bounds, k, view);
          k = 0;
          sendEntry(b, p, sink, view);
          runFrom = end;
        } else {
          k++;
        }
        p = end;
      }
      if (k > 0) sink.bulkRuns(b, runFrom, p, bounds, k, view);
      node = node.next;
      if (node !== null) p = node.start;
      i = 0;
    }
  }

  /** The elements from index start, count of them, in order (see range). */
  slice(start: number, count: number, reverse = false): string[] {
    const out: string[] = [];
    this.range(start, count, reverse, (v) => out.push(v));
    return out;
  }

  /** Every element, in order. */
  toArray(): string[] {
    return this.slice(0, this.size);
  }

  /** Calls visit for every element, head to tail. */
  forEach(visit: (value: string) => void): void {
    this.range(0, this.size, false, visit);
  }

  /**
   * Visits elements from the head (or from the tail when fromTail) until visit returns
   * false; `index` is the element's position from the head.
   */
  scan(fromTail: boolean, visit: (value: string, index: number) => boolean): void {
    let index = fromTail ? this.size - 1 : 0;
    for (let node = fromTail ? this.tail : this.head; node !== null; node = fromTail ? node.prev : node.next) {
      const b = node.buf;
      if (fromTail) {
        for (let p = node.end; p > node.start; index--) {
          p = entryStart(b, p);
          if (!visit(entryValue(b, p), index)) return;
        }
      } else {
        for (let p = node.start; p < node.end; index++) {
          if (!visit(entryValue(b, p), index)) return;
          p = entryEnd(b, p);
        }
      }
    }
  }

  /**
   * Removes elements equal to value, at most `limit` (0: all), from the head or, when
   * fromTail, from the tail. Returns how many.
   */
  removeEqual(value: string, limit: number, fromTail: boolean): number {
    let removed = 0;
    const asInteger = packedInteger(value);
    let node = fromTail ? this.tail : this.head;
    while (node !== null && (limit === 0 || removed < limit)) {
      const following: ListNode | null = fromTail ? node.prev : node.next;
      if (indexIn(node, value, asInteger) >= 0) {
        const items = nodeItems(node);
        const kept: string[] = [];
        const step = fromTail ? -1 : 1;
        const from = fromTail ? items.length - 1 : 0;
        const taken: boolean[] = new Array(items.length).fill(false);
        for (let i = from; i >= 0 && i < items.length; i += step) {
          if (items[i] === value && (limit === 0 || removed < limit)) {
            taken[i] = true;
            removed++;
          }
        }
        for (let i = 0; i < items.length; i++) if (!taken[i]) kept.push(items[i]!);
        this.replaceNode(node, kept);
      }
      node = following;
    }
    return removed;
  }

  /** Removes the first n elements (n <= length). */
  trimHead(n: number): void {
    while (n > 0 && this.head !== null) {
      const node = this.head;
      if (node.count <= n) {
        n -= node.count;
        this.size -= node.count;
        this.unlink(node);
        continue;
      }
      // Part of the head node: its entries from index n on stay.
      node.start = entryAt(node, n);
      node.count -= n;
      this.size -= n;
      n = 0;
    }
  }

  /** Removes the last n elements (n <= length). */
  trimTail(n: number): void {
    while (n > 0 && this.tail !== null) {
      const node = this.tail;
      if (node.count <= n) {
        n -= node.count;
        this.size -= node.count;
        this.unlink(node);
        continue;
      }
      // Part of the tail node: its first count - n entries stay.
      node.end = entryAt(node, node.count - n);
      node.count -= n;
      this.size -= n;
      n = 0;
    }
  }

  // --- Inside ----------------------------------------------------------------------------

  /** A cursor at index (negative from the end), walking from the nearer end; null if out of range. */
  private seek(index: number): Cursor | null {
    const size = this.size;
    if (index < 0) index += size;
    if (index < 0 || index >= size) return null;
    if (index < size / 2) {
      let node = this.head!;
      while (index >= node.count) {
        index -= node.count;
        node = node.next!;
      }
      return { node, index };
    }
    let back = size - 1 - index;
    let node = this.tail!;
    while (back >= node.count) {
      back -= node.count;
      node = node.prev!;
    }
    return { node, index: node.count - 1 - back };
  }

  /** The first element equal to value, from the head. */
  private find(value: string): Cursor | null {
    const asInteger = packedInteger(value);
    for (let node = this.head; node !== null; node = node.next) {
      const index = indexIn(node, value, asInteger);
      if (index >= 0) return { node, index };
    }
    return null;
  }

  /**
   * The capacity of a new end node's buffer for a first entry of e bytes: a list's first
   * node starts small (most lists are short) and doubles as it takes pushes; a node added
   * beside full ones gets a node's whole 32 KB at once (a list that grew past one node
   * takes pushes in streams: one allocation a node, where doubling made several and
   * copied each node as many times). Exactly e for an entry past 32 KB. The price: a
   * list just past one node holds up to twice its bytes until its end node fills.
   */
  private startCapacity(e: number): number {
    if (e >= NODE_MAX_BYTES) return e;
    if (this.nodes > 0) return NODE_MAX_BYTES;
    return Math.max(MIN_CAPACITY, (e + 7) & ~7);
  }

  /**
   * A new empty node between prev and next (either may be null) with a buffer of
   * `capacity` bytes, its entries to start at `at` (-1: the buffer's end, for pushes at
   * the head); the node it displaces as an end is settled.
   */
  private linkNode(prev: ListNode | null, next: ListNode | null, capacity: number, at: number): ListNode {
    const node = new ListNode(newBuffer(this.arenas, capacity), at < 0 ? capacity : at);
    node.prev = prev;
    node.next = next;
    if (prev !== null) prev.next = node;
    else this.head = node;
    if (next !== null) next.prev = node;
    else this.tail = node;
    this.nodes++;
    this.bufferCosts += bufferCost(capacity, this.arenas !== null);
    if (prev !== null) this.settle(prev);
    if (next !== null) this.settle(next);
    return node;
  }

  /**
   * Gives node at least e spare bytes at its head (or tail) end: moves its entries within
   * its buffer when that has twice the room, else into a buffer twice as large (within a
   * node's limit; off the heap, at least MIN_GROWN_OFF_HEAP). The spare bytes all go to the side pushed, or half of them when the
   * node is the list's only one (pushed at both ends).
   */
  private makeRoom(node: ListNode, e: number, atHead: boolean): void {
    const live = node.end - node.start;
    const capacity = node.buf.length;
    let wanted = capacity;
    if (capacity - live < 2 * e) wanted = Math.min(NODE_MAX_BYTES, Math.max(2 * capacity, MIN_CAPACITY));
    wanted = Math.max(wanted, (live + e + 7) & ~7);
    if (wanted > ON_HEAP_MAX && wanted < MIN_GROWN_OFF_HEAP) wanted = MIN_GROWN_OFF_HEAP;
    const spare = wanted - live - e;
    const toPushed = e + (node.prev === null && node.next === null ? spare >> 1 : spare);
    const start = atHead ? toPushed : wanted - toPushed - live;
    if (wanted === capacity) {
      node.buf.copyWithin(start, node.start, node.end);
    } else {
      const buf = newBuffer(this.arenas, wanted);
      node.buf.copy(buf, start, node.start, node.end);
      this.replaced(node, buf);
    }
    node.start = start;
    node.end = start + live;
  }

  /**
   * A DataView over node's buffer when that is shared memory (made on first use, 72 bytes
   * that estimatedBytes leaves out), else null.
   */
  private sharedView(node: ListNode): DataView | null {
    if (node.view !== null) return node.view;
    const buf = node.buf;
    if (buf.length < SHARED_FROM || this.arenas === null) return null;
    return (node.view = new DataView(buf.buffer, buf.byteOffset, buf.length));
  }

  /** Puts buf in node's place of its buffer, accounting both. */
  private replaced(node: ListNode, buf: Buffer): void {
    node.view = null;
    const old = node.buf.length;
    if (old > ON_HEAP_MAX) this.arenas?.release?.(old);
    this.bufferCosts += bufferCost(buf.length, this.arenas !== null) - bufferCost(old, this.arenas !== null);
    node.buf = buf;
  }

  /** Accounts one element removed from an end node; unlinks the node when emptied. */
  private shrank(node: ListNode): void {
    node.count--;
    this.size--;
    if (node.count === 0) this.unlink(node);
  }

  private unlink(node: ListNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
    this.nodes--;
    const capacity = node.buf.length;
    this.bufferCosts -= bufferCost(capacity, this.arenas !== null);
    if (capacity > ON_HEAP_MAX) this.arenas?.release?.(capacity);
  }

  /** Cuts the buffer of a node that is no longer an end of the list to its entries, when much of it is spare. */
  private settle(node: ListNode): void {
    if (node.prev === null || node.next === null) return;
    const live = node.end - node.start;
    const spare = node.buf.length - live;
    if (spare <= TRIM_SLACK || spare <= live >> 3) return;
    const buf = newBuffer(this.arenas, Math.max(live, 1));
    node.buf.copy(buf, 0, node.start, node.end);
    this.replaced(node, buf);
    node.start = 0;
    node.end = live;
  }

  /**
   * Replaces a node's elements (none: the node goes) with nodes of exactly their entries,
   * as many as the limits take.
   */
  private replaceNode(node: ListNode, items: readonly string[]): void {
    this.size += items.length - node.count;
    let prev = node.prev;
    const next = node.next;
    this.unlink(node);
    let i = 0;
    while (i < items.length) {
      // As many elements as one node holds from i.
      let bytes = 0;
      let j = i;
      while (j < items.length && j - i < NODE_MAX_COUNT) {
        const e = entrySize(items[j]!, packedInteger(items[j]!));
        if (j > i && bytes + e > NODE_MAX_BYTES) break;
        bytes += e;
        j++;
      }
      const made = this.linkNode(prev, next, bytes, 0);
      for (let k = i; k < j; k++) made.end += writeEntry(made.buf, made.end, items[k]!, packedInteger(items[k]!));
      made.count = j - i;
      prev = made;
      i = j;
    }
  }
}

/** Whether a node may take one more entry of e bytes without passing its limits. */
function roomFor(node: ListNode, e: number): boolean {
  return node.count < NODE_MAX_COUNT && (node.count === 0 || node.end - node.start + e <= NODE_MAX_BYTES);
}

/** The offset of the entry at index i of node, walking from its nearer end. */
function entryAt(node: ListNode, i: number): number {
  const b = node.buf;
  if (i < node.count / 2) {
    let p = node.start;
    for (let j = 0; j < i; j++) p = entryEnd(b, p);
    return p;
  }
  let p = node.end;
  for (let j = node.count; j > i; j--) p = entryStart(b, p);
  return p;
}

/** The index in node of its first element equal to value, or -1; `asInteger` is packedInteger(value). */
function indexIn(node: ListNode, value: string, asInteger: number | undefined): number {
  const b = node.buf;
  let index = 0;
  for (let p = node.start; p < node.end; p = entryEnd(b, p), index++) if (entryEquals(b, p, value, asInteger)) return index;
  return -1;
}
