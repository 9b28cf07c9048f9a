import { ReplyWriter, type Protocol } from '../protocol/writer.js';
import { globMatch } from '../util/glob.js';

/**
 * Pub/sub: who is subscribed to what, and delivery of messages, as Redis 7.0's
 * pubsub.c. It knows clients and RESP, no sockets: a message for another client goes
 * to that client's transport (ClientTransport.push), which queues it and writes it with
 * its other messages once the current batch is over.
 *
 * Messages for the client whose commands are being run (`current`) are encoded into
 * the shared reply writer, in line with its replies, as Redis adds them to the
 * client's own reply buffer: a RESP3 client that publishes to a channel it listens to
 * gets the message before the reply to PUBLISH. Messages for other clients are encoded
 * once per protocol version per publication and the same bytes are queued for every
 * receiver of that version.
 *
 * Order: the subscribers of a channel receive in subscription order (Redis 7.0 keeps
 * them in a list); then pattern subscribers, pattern by pattern in the order the
 * patterns were first subscribed (Redis walks a hash table there, in an order it
 * does not define).
 */

/** A client's subscriptions. A client has one exactly while it is in pub/sub mode. */
export class ClientSubscriptions {
  readonly channels = new Set<string>();
  /** In subscription order: PUNSUBSCRIBE with no argument goes through them in it, as Redis 7.0's list. */
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  /** Every subscription; pub/sub mode ends when this is 0 (clientTotalPubSubSubscriptionCount). */
  get total(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }
}

/** Channels (SUBSCRIBE, PUBLISH) or shard channels (SSUBSCRIBE, SPUBLISH): Redis's pubsubtype. */
export interface ChannelKind {
  readonly shard: boolean;
  /** The confirmation and message names, pre-encoded as bulk strings. */
  readonly subscribeBulk: Buffer;
  readonly unsubscribeBulk: Buffer;
  readonly messageBulk: Buffer;
}

function bulkOf(s: string): Buffer {
  return Buffer.from(`$${s.length}\r\n${s}\r\n`, 'latin1');
}

export const CHANNELS: ChannelKind = {
  shard: false,
  subscribeBulk: bulkOf('subscribe'),
  unsubscribeBulk: bulkOf('unsubscribe'),
  messageBulk: bulkOf('message'),
};

export const SHARD_CHANNELS: ChannelKind = {
  shard: true,
  subscribeBulk: bulkOf('ssubscribe'),
  unsubscribeBulk: bulkOf('sunsubscribe'),
  messageBulk: bulkOf('smessage'),
};

const PSUBSCRIBE_BULK = bulkOf('psubscribe');
const PUNSUBSCRIBE_BULK = bulkOf('punsubscribe');
const PMESSAGE_BULK = bulkOf('pmessage');

/**
 * What the hub needs of a client: its subscriptions, how it speaks, where its replies go
 * and how a message reaches it while another client's commands run. The commands
 * layer's Client is one; the hub declares it so that pub/sub stays below commands.
 */
export interface Subscriber {
  subscriptions: ClientSubscriptions | null;
  readonly protocol: Protocol;
  readonly reply: ReplyWriter;
  readonly transport: { push(bytes: Buffer): void };
}

export class PubSubHub {
  /** Channel -> its subscribers, in subscription order. */
  readonly channels = new Map<string, Set<Subscriber>>();
  /** Pattern -> its subscribers; patterns in the order they were first subscribed. */
  readonly patterns = new Map<string, Set<Subscriber>>();
  readonly shardChannels = new Map<string, Set<Subscriber>>();
  /** The client whose commands are running (set by the server for each batch), or null. */
  current: Subscriber | null = null;
  /** Encodes messages for clients other than the current one (the shared writer holds its batch). */
  private readonly encoder = new ReplyWriter();

  /** Whether a PUBLISH could reach anyone (keyspace notifications skip their work if not). */
  get hasListeners(): boolean {
    return this.channels.size !== 0 || this.patterns.size !== 0;
  }

  /** Subscribes c (if not yet) and confirms with its subscription count. */
  subscribe(c: Subscriber, kind: ChannelKind, channel: string): void {
    const subs = (c.subscriptions ??= new ClientSubscriptions());
    const mine = kind.shard ? subs.shardChannels : subs.channels;
    if (!mine.has(channel)) {
      mine.add(channel);
      addSubscriber(kind.shard ? this.shardChannels : this.channels, channel, c);
    }
    confirm(c, kind.subscribeBulk, channel, countOf(c, kind.shard));
  }

  /** Unsubscribes c from a channel (subscribed or not) and confirms. */
  unsubscribe(c: Subscriber, kind: ChannelKind, channel: string): void {
    this.dropChannel(c, kind, channel);
    confirm(c, kind.unsubscribeBulk, channel, countOf(c, kind.shard));
  }

  /** Unsubscribes c from every channel of the kind, confirming each, or once with a null channel if none. */
  unsubscribeAll(c: Subscriber, kind: ChannelKind): void {
    const mine = kind.shard ? c.subscriptions?.shardChannels : c.subscriptions?.channels;
    if (mine === undefined || mine.size === 0) {
      confirm(c, kind.unsubscribeBulk, null, countOf(c, kind.shard));
      return;
    }
    for (const channel of [...mine]) this.unsubscribe(c, kind, channel);
  }

  psubscribe(c: Subscriber, pattern: string): void {
    const subs = (c.subscriptions ??= new ClientSubscriptions());
    if (!subs.patterns.has(pattern)) {
      subs.patterns.add(pattern);
      addSubscriber(this.patterns, pattern, c);
    }
    confirm(c, PSUBSCRIBE_BULK, pattern, countOf(c, false));
  }

  punsubscribe(c: Subscriber, pattern: string): void {
    this.dropPattern(c, pattern);
    confirm(c, PUNSUBSCRIBE_BULK, pattern, countOf(c, false));
  }

  punsubscribeAll(c: Subscriber): void {
    const mine = c.subscriptions?.patterns;
    if (mine === undefined || mine.size === 0) {
      confirm(c, PUNSUBSCRIBE_BULK, null, countOf(c, false));
      return;
    }
    for (const pattern of [...mine]) this.punsubscribe(c, pattern);
  }

  /**
   * Ends pub/sub mode if c has no subscription left (after an unsubscribe command, as
   * Redis clears CLIENT_PUBSUB then).
   */
  leaveIfDone(c: Subscriber): void {
    if (c.subscriptions !== null && c.subscriptions.total === 0) c.subscriptions = null;
  }

  /** A client went away: drop its subscriptions, telling no one. */
  removeClient(c: Subscriber): void {
    const subs = c.subscriptions;
    if (subs === null) return;
    for (const channel of subs.channels) this.dropChannel(c, CHANNELS, channel);
    for (const channel of subs.shardChannels) this.dropChannel(c, SHARD_CHANNELS, channel);
    for (const pattern of subs.patterns) this.dropPattern(c, pattern);
    c.subscriptions = null;
  }

  /** Sends message to the channel's subscribers, then to matching patterns; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subscribers = this.channels.get(channel);
    if (subscribers !== undefined) receivers += this.deliver(subscribers, CHANNELS.messageBulk, null, channel, message);
    if (this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (globMatch(pattern, channel)) receivers += this.deliver(clients, PMESSAGE_BULK, pattern, channel, message);
      }
    }
    return receivers;
  }

  /** SPUBLISH: shard channels ignore patterns. */
  spublish(channel: string, message: string): number {
    const subscribers = this.shardChannels.get(channel);
    return subscribers === undefined ? 0 : this.deliver(subscribers, SHARD_CHANNELS.messageBulk, null, channel, message);
  }

  private deliver(clients: Set<Subscriber>, kind: Buffer, pattern: string | null, channel: string, message: string): number {
    let resp2: Buffer | null = null;
    let resp3: Buffer | null = null;
    for (const c of clients) {
      if (c === this.current) {
        encodeMessage(c.reply, kind, pattern, channel, message);
      } else if (c.protocol === 3) {
        c.transport.push((resp3 ??= this.encode(3, kind, pattern, channel, message)));
      } else {
        c.transport.push((resp2 ??= this.encode(2, kind, pattern, channel, message)));
      }
    }
    return clients.size;
  }

  private encode(protocol: 2 | 3, kind: Buffer, pattern: string | null, channel: string, message: string): Buffer {
    const w = this.encoder;
    w.protocol = protocol;
    encodeMessage(w, kind, pattern, channel, message);
    return w.take()!;
  }

  private dropChannel(c: Subscriber, kind: ChannelKind, channel: string): void {
    const mine = kind.shard ? c.subscriptions?.shardChannels : c.subscriptions?.channels;
    if (mine === undefined || !mine.delete(channel)) return;
    removeSubscriber(kind.shard ? this.shardChannels : this.channels, channel, c);
  }

  private dropPattern(c: Subscriber, pattern: string): void {
    if (c.subscriptions === null || !c.subscriptions.patterns.delete(pattern)) return;
    removeSubscriber(this.patterns, pattern, c);
  }
}

function addSubscriber(map: Map<string, Set<Subscriber>>, name: string, c: Subscriber): void {
  let clients = map.get(name);
  if (clients === undefined) map.set(name, (clients = new Set()));
  clients.add(c);
}

/** Removes c; a channel or pattern nobody listens to is forgotten. */
function removeSubscriber(map: Map<string, Set<Subscriber>>, name: string, c: Subscriber): void {
  const clients = map.get(name);
  if (clients === undefined) return;
  clients.delete(c);
  if (clients.size === 0) map.delete(name);
}

/** The count a confirmation shows: channels + patterns, or shard channels (Redis's subscriptionCount). */
function countOf(c: Subscriber, shard: boolean): number {
  const subs = c.subscriptions;
  if (subs === null) return 0;
  return shard ? subs.shardChannels.size : subs.channels.size + subs.patterns.size;
}

/** [kind, channel or null, count]: a push in RESP3, an array in RESP2. */
function confirm(c: Subscriber, kind: Buffer, name: string | null, count: number): void {
  const r = c.reply;
  r.pushHeader(3);
  r.raw(kind);
  if (name === null) r.nullBulk();
  else r.bulk(name);
  r.integer(count);
}

/** [message, channel, payload] or [pmessage, pattern, channel, payload]. */
function encodeMessage(w: ReplyWriter, kind: Buffer, pattern: string | null, channel: string, message: string): void {
  w.pushHeader(pattern === null ? 3 : 4);
  w.raw(kind);
  if (pattern !== null) w.bulk(pattern);
  w.bulk(channel);
  w.bulk(message);
}
