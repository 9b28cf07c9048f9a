import type { ValueObject } from './values.js';
import { ARRAY_BYTES, pushedCapacity, stringBytes } from './memory-cost.js';
import { entryEnd, entryEquals, entryParts, entryStart, entryTextBounds, entryValue, packedInteger } from './list-packing.js';

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
const NODE_MAX_COUNT = 128;
/** Most element bytes a node holds (one element may exceed it alone), as Redis's 8 KB nodes. */
const NODE_MAX_CHARS = 8192;

/**
 * Estimated bytes (node 20, x64, no pointer compression; checked against the heap by
 * test/unit/list-value.test.ts and test/unit/collection-memory.test.ts): a node object
 * (header and 9 fields), the list object itself (header and 5 fields). A loose node's
 * array costs ARRAY_BYTES and 8 bytes a slot, as many slots as pushes gave it
 * (pushedCapacity: 17 for 1 to 17 elements, 140 for 128): a 5-element list took 495
 * bytes on the heap where the estimate said 384 when it counted 8 bytes an element.
 */
const NODE_BYTES = 96;
const LIST_BYTES = 56;

/**
 * One node of a list: a run of consecutive elements, in one of two forms.
 *
 * - Loose: `items`, an array of the element strings. The nodes at the two ends of the
 *   list are loose while they take pushes (push and pop are array operations).
 * - Packed: `packed`, one latin1 string holding every element as an entry readable
 *   from either end (list-packing.ts: [length, bytes, length reversed], or a tagged
 *   binary integer for a decimal integer of 3 chars or more, as a listpack stores it).
 *   `start` and `end` delimit the live part:
 *   popping from a packed node only moves them. A node is packed as soon as it is no
 *   longer at an end of the list, so a long list costs its bytes plus ~2 per element,
 *   not a V8 string per element. A node holding one element over 8 KB alone is never
 *   packed (copying it would gain nothing).
 */
class ListNode {
  prev: ListNode | null = null;
  next: ListNode | null = null;
  /** Loose form: the elements; null while packed. */
  items: string[] | null;
  /** Packed form: the encoded elements (unused while loose). */
  packed = '';
  /** Packed form: the char offsets of the first live element and past the last. */
  start = 0;
  end = 0;
  count = 0;
  /** Total length of the node's elements. */
  chars = 0;
  /** What this node costs beyond NODE_BYTES (see costOf). */
  cost = 0;

  constructor(items: string[] | null) {
    this.items = items;
  }
}

/** Elements of a node in order (decoding a packed one). */
function nodeItems(node: ListNode): string[] {
  if (node.items !== null) return node.items;
  const out: string[] = new Array(node.count);
  const s = node.packed;
  let p = node.start;
  for (let i = 0; i < node.count; i++) {
    out[i] = entryValue(s, p);
    p = entryEnd(s, p);
  }
  return out;
}

/**
 * n elements of a packed node from index i (towards its start when reverse) to sink, as
 * runs of text slices; bounds is scratch space.
 */
function packedRun(node: ListNode, i: number, n: number, reverse: boolean, bounds: number[], sink: ListRangeSink): void {
  const s = node.packed;
  // Offsets of the entries at i and past the last one taken, walking from the nearer end.
  let p: number;
  if (i < node.count / 2) {
    p = node.start;
    for (let j = 0; j < i; j++) p = entryEnd(s, p);
  } else {
    p = node.end;
    for (let j = node.count; j > i; j--) p = entryStart(s, p);
  }
  let runFrom = -1;
  let runTo = -1;
  let k = 0;
  const flush = () => {
    if (k > 0) sink.slices(s, runFrom, runTo, bounds, k);
    k = 0;
    runFrom = -1;
  };
  for (let taken = 0; taken < n; taken++) {
    if (reverse && taken > 0) p = entryStart(s, p);
    const end = entryEnd(s, p);
    if (entryTextBounds(s, p, bounds, 2 * k)) {
      if (runFrom < 0) {
        runFrom = p;
        runTo = end;
      } else if (reverse) {
        runFrom = p;
      } else {
        runTo = end;
      }
      k++;
    } else {
      flush();
      sink.element(entryValue(s, p));
    }
    if (!reverse) p = end;
  }
  flush();
}

/** The bytes a node's contents cost: its array and strings (loose) or its packed string. */
function costOf(node: ListNode): number {
  const items = node.items;
  if (items === null) return stringBytes(node.packed.length);
  let n = ARRAY_BYTES + 8 * pushedCapacity(items.length);
  for (let i = 0; i < items.length; i++) n += stringBytes(items[i]!.length);
  return n;
}

/**
 * Where rangeTo sends a list's elements: one by one as strings, or as runs of texts read
 * in place from a packed node (source[bounds[2k], bounds[2k+1]) for k < count, all within
 * source[from, to)), so a reply can copy a run without a string per element.
 */
export interface ListRangeSink {
  element(value: string): void;
  slices(source: string, from: number, to: number, bounds: readonly number[], count: number): void;
}

/**
 * What one more element (count elements now) adds to a loose node's array: the slots V8
 * grows it by. On the push path, so the usual case (no growth) is a few comparisons: up
 * to 140 elements the array grows only at the 1st, 18th, 44th and 83rd (pushedCapacity:
 * 17, 43, 82, 140).
 */
function slotsCost(count: number): number {
  if (count <= 140 && count !== 1 && count !== 18 && count !== 44 && count !== 83) return 0;
  return 8 * (pushedCapacity(count) - pushedCapacity(count - 1));
}

/** A position in the list: a node and the index in it. */
interface Cursor {
  node: ListNode;
  index: number;
}

/**
 * A list of latin1 strings: a doubly linked list of nodes (Redis's quicklist idea), each
 * holding up to 128 elements and 8 KB, loose at the two ends and packed inside (see
 * ListNode).
 *
 * Why: a JS array of strings costs 8 bytes of slot and 16 or more of V8 string header
 * per element (32 bytes for a 3-byte element, Redis's listpack spends 5), and a single
 * array cannot take pushes at its head in O(1). Chunking gives O(1) push and pop at
 * both ends (a node is packed once, when it stops being an end: O(1) amortized per
 * element), index access in O(n/128 + 128) walking from the nearer end (as Redis walks
 * its nodes), and packing makes memory per element its length plus ~2-3 bytes. Measured
 * (bench/micro/list-memory.ts, 1M elements, heap growth against Redis 7.0's used_memory):
 * 6.2 against 5.1 bytes for 3-byte elements, 42.9 against 42.6 for 40-byte ones, 7.0
 * against 6.1 for 10-digit numbers (13.1 before they were packed as binary integers).
 *
 * Elements read from a packed node are slices of its string: V8 may keep such a slice
 * (13 bytes or more) as a view that pins the node's string (at most ~8 KB) while the
 * slice lives; a slice stored in another list is copied when its node is packed.
 *
 * The list never empties itself out of the keyspace: commands delete the key when
 * `length` reaches 0 (commands/list-commands.ts, through the Database).
 */
export class ListValue implements ValueObject {
  private head: ListNode | null = null;
  private tail: ListNode | null = null;
  private size = 0;
  private nodes = 0;
  /** Sum of the nodes' `cost`. */
  private nodeCosts = 0;

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

  /** O(1): the list object, its nodes and what they hold. */
  get estimatedBytes(): number {
    return LIST_BYTES + NODE_BYTES * this.nodes + this.nodeCosts;
  }

  /** A deep copy (COPY; Redis's listTypeDup): the same elements, nodes of its own. */
  copy(): ListValue {
    return ListValue.of(this.toArray());
  }

  /** A list holding `elements`, in order (RDB load, tests). */
  static of(elements: readonly string[]): ListValue {
    const list = new ListValue();
    for (const e of elements) list.pushTail(e);
    return list;
  }

  // --- Both ends -----------------------------------------------------------------------

  pushHead(value: string): void {
    let node = this.head;
    if (node === null || node.items === null || !roomFor(node, value)) {
      node = this.addNode(null, this.head);
    }
    node.items!.unshift(value);
    this.grew(node, value);
  }

  pushTail(value: string): void {
    let node = this.tail;
    if (node === null || node.items === null || !roomFor(node, value)) {
      node = this.addNode(this.tail, null);
    }
    node.items!.push(value);
    this.grew(node, value);
  }

  /** Removes and returns the first element; undefined when empty. */
  popHead(): string | undefined {
    const node = this.head;
    if (node === null) return undefined;
    let value: string;
    if (node.items !== null) {
      value = node.items.shift()!;
      const cost = slotsCost(node.count) + stringBytes(value.length);
      node.cost -= cost;
      this.nodeCosts -= cost;
    } else {
      const s = node.packed;
      value = entryValue(s, node.start);
      node.start = entryEnd(s, node.start);
    }
    this.shrank(node, value.length);
    return value;
  }

  /** Removes and returns the last element; undefined when empty. */
  popTail(): string | undefined {
    const node = this.tail;
    if (node === null) return undefined;
    let value: string;
    if (node.items !== null) {
      value = node.items.pop()!;
      const cost = slotsCost(node.count) + stringBytes(value.length);
      node.cost -= cost;
      this.nodeCosts -= cost;
    } else {
      const s = node.packed;
      const at = entryStart(s, node.end);
      value = entryValue(s, at);
      node.end = at;
    }
    this.shrank(node, value.length);
    return value;
  }

  // --- By index ------------------------------------------------------------------------

  /** The element at index (0-based, negative from the end), or undefined. */
  at(index: number): string | undefined {
    const cur = this.seek(index);
    return cur === null ? undefined : this.read(cur);
  }

  /** Replaces the element at index; false when out of range. */
  set(index: number, value: string): boolean {
    const cur = this.seek(index);
    if (cur === null) return false;
    const node = cur.node;
    const items = this.loosen(node);
    node.chars += value.length - items[cur.index]!.length;
    items[cur.index] = value;
    this.fit(node);
    return true;
  }

  /**
   * Inserts value before (or after) the first element equal to pivot, from the head;
   * false when no element is.
   */
  insert(pivot: string, value: string, after: boolean): boolean {
    const cur = this.find(pivot);
    if (cur === null) return false;
    const node = cur.node;
    const items = this.loosen(node);
    items.splice(after ? cur.index + 1 : cur.index, 0, value);
    node.count++;
    node.chars += value.length;
    this.size++;
    this.fit(node);
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
    let i = cur.index;
    while (node !== null && count > 0) {
      const items = nodeItems(node);
      if (reverse) {
        for (; i >= 0 && count > 0; i--, count--) visit(items[i]!);
        node = node.prev;
        if (node !== null) i = node.count - 1;
      } else {
        for (; i < items.length && count > 0; i++, count--) visit(items[i]!);
        node = node.next;
        i = 0;
      }
    }
  }

  /**
   * range() for a reply: elements of loose nodes go to sink.element, the text entries of a
   * packed node to sink.slices in runs (an integer entry, stored as a number, goes to
   * sink.element as its decimal text between runs).
   */
  rangeTo(start: number, count: number, reverse: boolean, sink: ListRangeSink): void {
    if (count <= 0) return;
    const cur = this.seek(start)!;
    let node: ListNode | null = cur.node;
    let i = cur.index;
    const bounds: number[] = [];
    while (node !== null && count > 0) {
      const n = Math.min(count, reverse ? i + 1 : node.count - i);
      if (node.items !== null) {
        const items = node.items;
        if (reverse) for (let j = i; j > i - n; j--) sink.element(items[j]!);
        else for (let j = i; j < i + n; j++) sink.element(items[j]!);
      } else {
        packedRun(node, i, n, reverse, bounds, sink);
      }
      count -= n;
      node = reverse ? node.prev : node.next;
      if (node !== null) i = reverse ? node.count - 1 : 0;
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
      const items = nodeItems(node);
      if (fromTail) {
        for (let i = items.length - 1; i >= 0; i--, index--) if (!visit(items[i]!, index)) return;
      } else {
        for (let i = 0; i < items.length; i++, index++) if (!visit(items[i]!, index)) return;
      }
    }
  }

  /**
   * Removes elements equal to value, at most `limit` (0: all), from the head or, when
   * fromTail, from the tail. Returns how many.
   */
  removeEqual(value: string, limit: number, fromTail: boolean): number {
    let removed = 0;
    let node = fromTail ? this.tail : this.head;
    while (node !== null && (limit === 0 || removed < limit)) {
      const following: ListNode | null = fromTail ? node.prev : node.next;
      if (nodeHas(node, value)) {
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
        this.replaceItems(node, kept);
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
      for (; n > 0; n--) this.popHead();
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
      for (; n > 0; n--) this.popTail();
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

  private read(cur: Cursor): string {
    const node = cur.node;
    if (node.items !== null) return node.items[cur.index]!;
    // Skip to the element without decoding the others.
    const s = node.packed;
    let p = node.start;
    for (let i = 0; i < cur.index; i++) p = entryEnd(s, p);
    return entryValue(s, p);
  }

  /** The first element equal to value, from the head. */
  private find(value: string): Cursor | null {
    for (let node = this.head; node !== null; node = node.next) {
      if (!nodeHas(node, value)) continue;
      const index = nodeItems(node).indexOf(value);
      return { node, index };
    }
    return null;
  }

  /** Accounts one element added to node. */
  private grew(node: ListNode, value: string): void {
    node.count++;
    node.chars += value.length;
    const cost = slotsCost(node.count) + stringBytes(value.length);
    node.cost += cost;
    this.nodeCosts += cost;
    this.size++;
  }

  /** Accounts one element removed from an end node; unlinks the node when emptied. */
  private shrank(node: ListNode, length: number): void {
    node.count--;
    node.chars -= length;
    this.size--;
    if (node.count === 0) this.unlink(node);
  }

  /** A new loose node between prev and next (either may be null); the node it displaces as an end is packed. */
  private addNode(prev: ListNode | null, next: ListNode | null): ListNode {
    const node = new ListNode([]);
    node.cost = ARRAY_BYTES;
    node.prev = prev;
    node.next = next;
    if (prev !== null) prev.next = node;
    else this.head = node;
    if (next !== null) next.prev = node;
    else this.tail = node;
    this.nodes++;
    this.nodeCosts += node.cost;
    if (prev !== null) this.settle(prev);
    if (next !== null) this.settle(next);
    return node;
  }

  private unlink(node: ListNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
    this.nodes--;
    this.nodeCosts -= node.cost;
  }

  /** Node's elements as a loose array, converting a packed node (O(node)). */
  private loosen(node: ListNode): string[] {
    if (node.items !== null) return node.items;
    const items = nodeItems(node);
    node.items = items;
    node.packed = '';
    node.start = node.end = 0;
    this.recost(node);
    return items;
  }

  /**
   * Packs node if it is loose, no longer at an end of the list, and within 8 KB: a node
   * holding one larger element stays loose (Redis's "plain" node, in spirit), so a large
   * element is never copied into a packed string.
   */
  private settle(node: ListNode): void {
    if (node.items === null || node.prev === null || node.next === null || node.chars > NODE_MAX_CHARS) {
      if (node.items !== null) this.recost(node);
      return;
    }
    const items = node.items;
    const parts: string[] = new Array(items.length * 3);
    for (let i = 0; i < items.length; i++) entryParts(items[i]!, parts, 3 * i);
    node.packed = parts.join('');
    node.start = 0;
    node.end = node.packed.length;
    node.items = null;
    this.recost(node);
  }

  private recost(node: ListNode): void {
    const cost = costOf(node);
    this.nodeCosts += cost - node.cost;
    node.cost = cost;
  }

  /** Replaces a node's elements (none: the node goes). */
  private replaceItems(node: ListNode, items: string[]): void {
    this.size += items.length - node.count;
    if (items.length === 0) {
      this.unlink(node);
      return;
    }
    node.items = items;
    node.packed = '';
    node.start = node.end = 0;
    node.count = items.length;
    let chars = 0;
    for (const s of items) chars += s.length;
    node.chars = chars;
    this.settle(node);
  }

  /**
   * Keeps a loose node within its limits after an insertion or a replacement: an
   * overfull node is cut into as many nodes as its elements need (each at most 128
   * elements and 8 KB, or one larger element alone), which are then settled.
   */
  private fit(node: ListNode): void {
    if (node.count <= NODE_MAX_COUNT && (node.chars <= NODE_MAX_CHARS || node.count === 1)) {
      this.settle(node);
      return;
    }
    const items = node.items!;
    const groups: string[][] = [];
    let group: string[] = [];
    let chars = 0;
    for (const s of items) {
      if (group.length > 0 && (group.length >= NODE_MAX_COUNT || chars + s.length > NODE_MAX_CHARS)) {
        groups.push(group);
        group = [];
        chars = 0;
      }
      group.push(s);
      chars += s.length;
    }
    groups.push(group);
    // The first group stays in `node`; the others follow it in new nodes.
    let last = node;
    const made: ListNode[] = [node];
    for (let g = 1; g < groups.length; g++) {
      const next = new ListNode(groups[g]!);
      next.prev = last;
      next.next = last.next;
      if (last.next !== null) last.next.prev = next;
      else this.tail = next;
      last.next = next;
      this.nodes++;
      last = next;
      made.push(next);
    }
    node.items = groups[0]!;
    for (let g = 0; g < made.length; g++) {
      const n = made[g]!;
      n.count = groups[g]!.length;
      let c = 0;
      for (const e of groups[g]!) c += e.length;
      n.chars = c;
      this.settle(n);
    }
  }
}

/** Whether a node may take one more element without passing its limits. */
function roomFor(node: ListNode, value: string): boolean {
  return node.count < NODE_MAX_COUNT && (node.count === 0 || node.chars + value.length <= NODE_MAX_CHARS);
}

/** Whether node holds an element equal to value (without decoding a packed node). */
function nodeHas(node: ListNode, value: string): boolean {
  if (node.items !== null) return node.items.includes(value);
  const s = node.packed;
  const asInteger = packedInteger(value);
  for (let p = node.start; p < node.end; p = entryEnd(s, p)) if (entryEquals(s, p, value, asInteger)) return true;
  return false;
}
