/** No deadline. Comparisons with a time are false, so a persistent key never expires. */
export const NO_DEADLINE = Infinity;

/**
 * One key: its id in its database's KeyStore (key-store.ts), a handle valid until the
 * key is removed (ids are reused). Read it through the Database (keyOf, valueOf,
 * deadlineOf ...).
 *
 * A key's deadline is the first millisecond at which it no longer exists: Redis's
 * expire time + 1, because Redis treats a key as expired only when now > its time.
 */
export type Entry = number;

/** The deadline to store for Redis's absolute expire time `when` (ms). */
export function deadlineFor(when: number): number {
  return when + 1;
}
