import type { Pair } from '../compat/harness.js';
import { RawClient } from './raw-client.js';
import type { Reply } from './resp.js';
import type { KeyspaceListener } from '../../src/keyspace/keyspace.js';

/**
 * Records keyspace events on both servers of a Pair, as "db event key" lines, so a test
 * can compare the events a sequence of commands fired.
 *
 * Redis (started with notify-keyspace-events including E and the classes wanted) is
 * heard through a PSUBSCRIBE to __keyevent@*__:*; lapse through its keyspace listener
 * hook, whatever its own notify-keyspace-events (its pub/sub delivery of these events is
 * compared with Redis's in test/compat/notifications.test.ts). take() returns what each fired since the last
 * take(): on Redis it publishes a marker on a matching channel and reads up to it, so
 * every event fired before is in.
 */
export class EventRecorder {
  private lapseEvents: string[] = [];
  private sub!: RawClient;
  private previous: KeyspaceListener['event'];
  private previousWanted: KeyspaceListener['expiredKeyWanted'];

  private constructor(private readonly p: Pair) {}

  /** `classes`: the event classes Redis was configured to publish (e.g. 'gxn'). */
  static async attach(p: Pair, classes: string): Promise<EventRecorder> {
    const rec = new EventRecorder(p);
    rec.sub = await RawClient.connect(p.redis.port);
    await rec.sub.call('PSUBSCRIBE', '__keyevent@*__:*');
    const listener = p.lapse.keyspace.listener;
    const previous = (rec.previous = listener.event);
    // Chained: the server's own hook (pub/sub delivery) keeps working meanwhile.
    listener.event = (cls, event, key, db) => {
      if (classes.includes(cls)) rec.lapseEvents.push(`${db.index} ${event} ${key}`);
      previous?.(cls, event, key, db);
    };
    // This spy is a consumer the server does not know of: expiring keys must be named for it.
    rec.previousWanted = listener.expiredKeyWanted;
    listener.expiredKeyWanted = () => true;
    return rec;
  }

  /** The events each server fired since the last take(): [redis, lapse]. */
  async take(): Promise<[string[], string[]]> {
    const redisEvents: string[] = [];
    const marker = `__keyevent@0__:marker-${Date.now()}`;
    await this.p.r.call('PUBLISH', marker, 'end');
    for (;;) {
      const msg = await this.sub.readReply();
      const [, , channel, key] = items(msg);
      if (channel === marker) break;
      const m = /^__keyevent@(\d+)__:(.*)$/s.exec(channel!);
      redisEvents.push(`${m![1]} ${m![2]} ${key}`);
    }
    const lapseEvents = this.lapseEvents;
    this.lapseEvents = [];
    return [redisEvents, lapseEvents];
  }

  detach(): void {
    this.sub.close();
    this.p.lapse.keyspace.listener.event = this.previous;
    this.p.lapse.keyspace.listener.expiredKeyWanted = this.previousWanted;
  }
}

function items(r: Reply): string[] {
  if (r.type !== 'array' && r.type !== 'push') throw new Error(`not a pub/sub message: ${JSON.stringify(r)}`);
  return r.value.map((x) => (x.type === 'bulk' ? x.value.toString('latin1') : x.type === 'simple' ? x.value : ''));
}
