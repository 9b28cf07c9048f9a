/**
 * The ordered structure of a large sorted set: a B+tree of (score, member) pairs ordered
 * by score, then by member bytes (latin1 strings compare as memcmp does), with the size
 * of every subtree kept in its parent, so that rank -> element and element -> rank cost
 * O(log n), as Redis's skiplist with spans does (DESIGN.md: "rank in O(log n)").
 *
 * Why a B+tree and not a skiplist: a skiplist node is a JS object per member (header,
 * member, score, backward link, an array of levels with spans: ~120 bytes before the
 * member), where a leaf here holds up to LEAF_MAX members and scores in two arrays
 * (8 bytes each per member; scores stay unboxed in a double array). Leaves are linked
 * both ways, so a range walks them in either direction after one descent.
 *
 * Inner nodes route by separators: sep[i] (i >= 1) is <= every pair of child i and >
 * every pair of child i-1. Deleting a pair never invalidates a separator, so deletions
 * only adjust counts; an emptied node is unlinked, and a small leaf is merged into a
 * neighbour under the same parent (inner nodes are not rebalanced: the tree's height is
 * bounded by the largest size the set ever had, log64 of it).
 */

/** Most pairs in a leaf; a fuller one splits in two. */
const LEAF_MAX = 64;
/** Most children of an inner node. */
const INNER_MAX = 64;
/** A leaf smaller than this is merged with a neighbour that leaves the result at most half full. */
const LEAF_MERGE = LEAF_MAX / 4;

export class Leaf {
  members: string[] = [];
  scores: number[] = [];
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

class Inner {
  children: TreeNode[] = [];
  /** Pairs under each child. */
  counts: number[] = [];
  sepScores: number[] = [];
  sepMembers: string[] = [];
}

type TreeNode = Leaf | Inner;

/** Whether the pair (score, member) comes after (s, m) in a sorted set's order. */
export function after(score: number, member: string, s: number, m: string): boolean {
  return score > s || (score === s && member > m);
}

/** A monotone predicate over the set's order: false for a prefix, true after it. */
export type PairPredicate = (score: number, member: string) => boolean;

/** The index of the first pair of sorted parallel arrays for which the monotone pred holds; their length if none. */
export function firstPassing(members: readonly string[], scores: readonly number[], pred: PairPredicate): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(scores[mid]!, members[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The child of an inner node whose range holds (score, member): the last child whose
 * separator is <= the pair (separators ascend strictly: each is above every pair of the
 * child before it, and below or equal to its own child's). A binary search: an inner
 * node has up to 64 children, and a linear scan compared a member string per child.
 */
function childFor(node: Inner, score: number, member: string): number {
  const sepScores = node.sepScores;
  const sepMembers = node.sepMembers;
  let lo = 1;
  let hi = node.children.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(sepScores[mid]!, sepMembers[mid]!, score, member)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** The child holding the first pair for which pred holds: the last whose separator fails it (0 if all pass). */
function childForPredicate(node: Inner, pred: PairPredicate): number {
  const sepScores = node.sepScores;
  const sepMembers = node.sepMembers;
  let lo = 1;
  let hi = node.children.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(sepScores[mid]!, sepMembers[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/**
 * Inserts x at index i of arr, shifting the rest up: splice(i, 0, x) without the array of
 * removed elements splice makes (with the builtin's call, 10% of a ZADD that moves
 * members within a 100k-member set, and young garbage for the scavenger).
 */
export function insertAt<T>(arr: T[], i: number, x: T): void {
  let j = arr.length;
  arr.push(x);
  for (; j > i; j--) arr[j] = arr[j - 1]!;
  arr[i] = x;
}

/** Removes the element at index i of arr, shifting the rest down: splice(i, 1) without its result array. */
export function removeAt<T>(arr: T[], i: number): void {
  const last = arr.length - 1;
  for (let j = i; j < last; j++) arr[j] = arr[j + 1]!;
  arr.pop();
}

/*
 * insertAt and removeAt again, for arrays of numbers only (scores, counts). The same code
 * in separate functions on purpose: a store that has seen arrays of strings and arrays of
 * doubles makes V8 move the double arrays it stores into to the general elements kind,
 * where each non-integer score is a 16-byte HeapNumber behind a pointer. With one
 * function for both, every sorted set's scores were boxed: a 100-member listpack zset
 * took ~6,500 bytes of heap where it takes ~5,700 with its scores unboxed. (The inner
 * nodes' counts, small integers, share these with the scores and may be made double
 * arrays by it: the same 8 bytes a slot.)
 */

/** insertAt for an array of numbers. */
export function insertNumberAt(arr: number[], i: number, x: number): void {
  let j = arr.length;
  arr.push(x);
  for (; j > i; j--) arr[j] = arr[j - 1]!;
  arr[i] = x;
}

/** removeAt for an array of numbers. */
export function removeNumberAt(arr: number[], i: number): void {
  const last = arr.length - 1;
  for (let j = i; j < last; j++) arr[j] = arr[j + 1]!;
  arr.pop();
}

/** The pairs under children 0..i-1 of an inner node. */
function countBefore(node: Inner, i: number): number {
  const counts = node.counts;
  let n = 0;
  for (let j = 0; j < i; j++) n += counts[j]!;
  return n;
}

export class ScoreTree {
  private root: TreeNode = new Leaf();
  /** Number of pairs. */
  size = 0;
  /** The first and last leaves (the same leaf while there is one). */
  head: Leaf;
  tail: Leaf;
  /** Set by locate(): the leaf and index of the pair found. */
  foundLeaf!: Leaf;
  foundIndex = 0;
  /** Number of leaves and inner nodes, for the memory estimate. */
  leaves = 1;
  inners = 0;
  /**
   * The inner nodes an insert or delete descended through, and the child taken in each
   * (levels 0 .. depth-1): kept from one call to the next, so a descent allocates nothing.
   */
  private readonly path: Inner[] = [];
  private readonly at: number[] = [];

  constructor() {
    this.head = this.tail = this.root as Leaf;
  }

  /**
   * The rank of the first pair for which pred holds (size if none). In an inner node
   * the last child whose separator fails pred holds the answer, or, if no pair of
   * that child passes, the first pair of the next one (rank = the end of that child).
   */
  firstRank(pred: PairPredicate): number {
    let node = this.root;
    let offset = 0;
    while (node instanceof Inner) {
      const i = childForPredicate(node, pred);
      offset += countBefore(node, i);
      node = node.children[i]!;
    }
    return offset + firstPassing(node.members, node.scores, pred);
  }

  /** The rank of a pair known to be in the tree. */
  rankOf(member: string, score: number): number {
    let node = this.root;
    let offset = 0;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      offset += countBefore(node, i);
      node = node.children[i]!;
    }
    return offset + this.indexIn(node, member, score);
  }

  /** Sets foundLeaf and foundIndex to the pair at rank (0 <= rank < size). */
  locate(rank: number): void {
    let node = this.root;
    while (node instanceof Inner) {
      let i = 0;
      while (rank >= node.counts[i]!) rank -= node.counts[i++]!;
      node = node.children[i]!;
    }
    this.foundLeaf = node;
    this.foundIndex = rank;
  }

  /** Adds a pair whose member is not in the tree. */
  insert(member: string, score: number): void {
    const path = this.path;
    const at = this.at;
    let depth = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      node.counts[i]!++;
      path[depth] = node;
      at[depth] = i;
      depth++;
      node = node.children[i]!;
    }
    const leaf = node;
    let lo = 0;
    let hi = leaf.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(leaf.scores[mid]!, leaf.members[mid]!, score, member)) hi = mid;
      else lo = mid + 1;
    }
    insertAt(leaf.members, lo, member);
    insertNumberAt(leaf.scores, lo, score);
    this.size++;
    if (leaf.members.length > LEAF_MAX) this.splitLeaf(leaf, depth);
  }

  /** Removes a pair known to be in the tree. */
  delete(member: string, score: number): void {
    const path = this.path;
    const at = this.at;
    let depth = 0;
    let node = this.root;
    while (node instanceof Inner) {
      const i = childFor(node, score, member);
      node.counts[i]!--;
      path[depth] = node;
      at[depth] = i;
      depth++;
      node = node.children[i]!;
    }
    const leaf = node;
    const index = this.indexIn(leaf, member, score);
    removeAt(leaf.members, index);
    removeNumberAt(leaf.scores, index);
    this.size--;
    if (this.size === 0) {
      this.root = this.head = this.tail = new Leaf();
      this.leaves = 1;
      this.inners = 0;
      this.path.length = 0;
      this.at.length = 0;
      return;
    }
    if (depth === 0) return;
    if (leaf.members.length === 0) this.unlink(leaf, depth);
    else if (leaf.members.length < LEAF_MERGE) this.mergeLeaf(leaf, path[depth - 1]!, at[depth - 1]!);
  }

  /** The index in leaf of a pair known to be there. */
  private indexIn(leaf: Leaf, member: string, score: number): number {
    let lo = 0;
    let hi = leaf.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(leaf.scores[mid]!, leaf.members[mid]!, score, member)) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  private splitLeaf(leaf: Leaf, depth: number): void {
    const half = leaf.members.length >> 1;
    const right = new Leaf();
    right.members = leaf.members.slice(half);
    right.scores = leaf.scores.slice(half);
    leaf.members.length = half;
    leaf.scores.length = half;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.tail = right;
    leaf.next = right;
    this.leaves++;
    this.addChild(right, right.members.length, right.scores[0]!, right.members[0]!, leaf, half, depth);
  }

  /**
   * Puts `node` (count pairs, first pair (sepScore, sepMember)) right after `left`
   * (now leftCount pairs) in its parent, level depth-1 of the path, splitting upwards as
   * needed (the root when depth is 0).
   */
  private addChild(
    node: TreeNode, count: number, sepScore: number, sepMember: string,
    left: TreeNode, leftCount: number, depth: number,
  ): void {
    if (depth === 0) {
      const root = new Inner();
      root.children = [left, node];
      root.counts = [leftCount, count];
      root.sepScores = [0, sepScore];
      root.sepMembers = ['', sepMember];
      this.root = root;
      this.inners++;
      return;
    }
    const parent = this.path[depth - 1]!;
    const i = this.at[depth - 1]!;
    insertAt(parent.children, i + 1, node);
    parent.counts[i] = leftCount;
    insertNumberAt(parent.counts, i + 1, count);
    insertNumberAt(parent.sepScores, i + 1, sepScore);
    insertAt(parent.sepMembers, i + 1, sepMember);
    if (parent.children.length <= INNER_MAX) return;
    const half = parent.children.length >> 1;
    const right = new Inner();
    right.children = parent.children.slice(half);
    right.counts = parent.counts.slice(half);
    right.sepScores = parent.sepScores.slice(half);
    right.sepMembers = parent.sepMembers.slice(half);
    parent.children.length = half;
    parent.counts.length = half;
    parent.sepScores.length = half;
    parent.sepMembers.length = half;
    this.inners++;
    let rightCount = 0;
    for (const c of right.counts) rightCount += c;
    let parentCount = 0;
    for (const c of parent.counts) parentCount += c;
    this.addChild(right, rightCount, right.sepScores[0]!, right.sepMembers[0]!, parent, parentCount, depth - 1);
  }

  /** Removes an emptied node from its parent, and emptied parents from theirs. */
  private unlink(leaf: Leaf, depth: number): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    else this.head = leaf.next!;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    else this.tail = leaf.prev!;
    this.leaves--;
    for (let level = depth - 1; level >= 0; level--) {
      const parent = this.path[level]!;
      const i = this.at[level]!;
      removeAt(parent.children, i);
      removeNumberAt(parent.counts, i);
      removeNumberAt(parent.sepScores, i);
      removeAt(parent.sepMembers, i);
      if (parent.children.length > 0 || level === 0) break;
      this.inners--;
    }
    this.collapseRoot();
  }

  /** Merges a small leaf with a neighbour under the same parent, if both fit in half a leaf. */
  private mergeLeaf(leaf: Leaf, parent: Inner, i: number): void {
    let left: Leaf;
    let j: number;
    if (i + 1 < parent.children.length && parent.counts[i + 1]! + leaf.members.length <= LEAF_MAX / 2) {
      left = leaf;
      j = i + 1;
    } else if (i > 0 && parent.counts[i - 1]! + leaf.members.length <= LEAF_MAX / 2) {
      left = parent.children[i - 1] as Leaf;
      j = i;
    } else {
      return;
    }
    const right = parent.children[j] as Leaf;
    for (let k = 0; k < right.members.length; k++) {
      left.members.push(right.members[k]!);
      left.scores.push(right.scores[k]!);
    }
    parent.counts[j - 1]! += parent.counts[j]!;
    removeAt(parent.children, j);
    removeNumberAt(parent.counts, j);
    removeNumberAt(parent.sepScores, j);
    removeAt(parent.sepMembers, j);
    left.next = right.next;
    if (right.next !== null) right.next.prev = left;
    else this.tail = left;
    this.leaves--;
    this.collapseRoot();
  }

  private collapseRoot(): void {
    while (this.root instanceof Inner && this.root.children.length === 1) {
      this.root = this.root.children[0]!;
      this.inners--;
    }
  }
}
