import type { Database } from '../keyspace/database.js';
import type { EventClass } from '../keyspace/keyspace.js';
import { NOTIFY_CLASS_BITS, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE } from './event-classes.js';
import type { PubSubHub } from './hub.js';

/**
 * Keyspace notifications, as Redis 7.0's notifyKeyspaceEvent: an event of a class that
 * notify-keyspace-events selects is published as `__keyspace@<db>__:<key>` -> event (K)
 * and then `__keyevent@<db>__:<event>` -> key (E).
 *
 * Cheap when off: an event whose class is not selected costs one lookup and one bit
 * test. When no one is subscribed to any channel or pattern, nothing is built either.
 */
export class KeyspaceNotifier {
  /** The notify-keyspace-events flags (NOTIFY_* bits). */
  flags = 0;
  /** `__keyevent@<db>__:<event>` channel names by database and event, built once. */
  private readonly keyeventChannels: Map<string, string>[] = [];
  private readonly keyspacePrefixes: string[] = [];

  constructor(private readonly hub: PubSubHub) {}

  /** Whether an event of this class would reach anyone now (else its key need not be named). */
  wants(cls: EventClass): boolean {
    return (this.flags & CLASS_BITS[cls.charCodeAt(0)]!) !== 0 && this.hub.hasListeners;
  }

  event(cls: EventClass, event: string, key: string, db: Database): void {
    const flags = this.flags;
    if ((flags & CLASS_BITS[cls.charCodeAt(0)]!) === 0 || !this.hub.hasListeners) return;
    const index = db.index;
    if (flags & NOTIFY_KEYSPACE) {
      const prefix = (this.keyspacePrefixes[index] ??= `__keyspace@${index}__:`);
      this.hub.publish(prefix + key, event);
    }
    if (flags & NOTIFY_KEYEVENT) {
      const channels = (this.keyeventChannels[index] ??= new Map());
      let channel = channels.get(event);
      if (channel === undefined) channels.set(event, (channel = `__keyevent@${index}__:${event}`));
      this.hub.publish(channel, key);
    }
  }
}

/**
 * The NOTIFY_* bit of each event class letter, by char code (0 for K, E, A: no event has
 * them). Filled once at module load, a constant after.
 */
const CLASS_BITS = new Int32Array(128);
for (const letter of 'g$lshzxetdmn') CLASS_BITS[letter.charCodeAt(0)] = NOTIFY_CLASS_BITS[letter]!;
