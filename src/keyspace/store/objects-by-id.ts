import type { ValueObject } from '../values.js';

/** Ids per page (a power of two). */
const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

/**
 * The collection values of a KeyStore by id (hashes, lists, sets, sorted sets: strings
 * live in the slab): the ids in pages of 1,024 slots, a page allocated when an id in it
 * first holds a collection and dropped when its last one goes.
 *
 * Why not a Map<number, ValueObject> (what it replaced at stop 35): a lookup hashed the
 * id and walked a bucket chain (V8's FindOrderedHashMapEntry, ~0.8% of LPUSH's samples
 * at -P 16), and an entry took 28-56 bytes (key, value, chain and a bucket word, at the
 * table's load). Here a lookup is two array loads and a collection 8 bytes where its
 * page is full. A plain array indexed by id would cost 8 bytes for every id below the
 * highest collection's, strings included (1M string sessions and one sorted set
 * created after them: 8 MB), and V8 turns an array written far past its end into a
 * dictionary: pages keep both bounded (a page per 1,024 ids that hold a collection).
 */
type Page = (ValueObject | undefined)[];

export class ObjectsById {
  /** Pages by id >> PAGE_BITS; undefined where no id of the page holds a collection. */
  private readonly pages: (Page | undefined)[] = [];
  /** Collections held by each page (to drop it when it empties). */
  private readonly counts: number[] = [];

  /** Number of ids holding a collection (O(pages): for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  get(id: number): ValueObject | undefined {
    const page = this.pages[id >> PAGE_BITS];
    return page === undefined ? undefined : page[id & PAGE_MASK];
  }

  set(id: number, value: ValueObject): void {
    const p = id >> PAGE_BITS;
    const pages = this.pages;
    while (pages.length <= p) {
      pages.push(undefined);
      this.counts.push(0);
    }
    let page = pages[p];
    if (page === undefined) {
      page = newPage();
      pages[p] = page;
    }
    const slot = id & PAGE_MASK;
    if (page[slot] === undefined) this.counts[p]!++;
    page[slot] = value;
  }

  delete(id: number): void {
    const p = id >> PAGE_BITS;
    const page = this.pages[p];
    if (page === undefined) return;
    const slot = id & PAGE_MASK;
    if (page[slot] === undefined) return;
    page[slot] = undefined;
    if (--this.counts[p]! === 0) this.pages[p] = undefined;
  }
}

/**
 * A page of undefined slots, pushed one by one: a packed array (new Array(n) would be a
 * holey one, whose loads check for holes and the prototype chain).
 */
function newPage(): Page {
  const page: Page = [];
  for (let i = 0; i < PAGE_SIZE; i++) page.push(undefined);
  return page;
}
