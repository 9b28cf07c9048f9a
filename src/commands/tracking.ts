/*
 * In the commands layer's one import cycle, type-only and kept on purpose: see the note at
 * the top of context.ts.
 */
import type { Client, ServerContext } from './context.js';
import type { CommandSpec } from './table.js';
import { ReplyWriter } from '../protocol/writer.js';
import { KeyRefs } from '../acl/key-specs.js';

/**
 * Client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c.
 *
 * Default mode: the keys a tracking client reads (the keys of a `readonly` command, by
 * its key specs) are remembered in one table for the whole server, key -> ids of the
 * clients that read it (keys of every database share it, as in Redis). When such a key
 * changes (whatever reaches WATCH: a write, a deletion, an expiry, an eviction), each of
 * those clients gets one invalidation and is forgotten for that key. A flush
 * (FLUSHDB, FLUSHALL) sends every tracking client a null invalidation and empties the
 * table.
 *
 * BCAST mode: a client names prefixes; every key changed that starts with one of them is
 * collected, and once the current turn of the event loop is over (Redis does it in
 * beforeSleep) each client of the prefix gets one invalidation listing them all.
 *
 * Where an invalidation goes: RESP3, a push on the client's own connection; with
 * REDIRECT, to that other client (a push if it speaks RESP3, a message on
 * __redis__:invalidate if it is a RESP2 client in pub/sub mode, else nothing). A
 * redirect target that has gone flags the client (R) and a RESP3 client is told so
 * (tracking-redir-broken).
 *
 * As Redis, the table holds client ids, not clients: a client that turns tracking off or
 * goes away is only dropped from its prefixes (the server's clients by id say who is
 * still there and tracking); its ids in the table are dropped when their key changes, or
 * by tracking-table-max-keys (INFO counts them meanwhile, as Redis's does). No Client
 * object is kept by the table.
 *
 * Cost: with no tracking client, a command pays one test of `clientCount` in the
 * dispatcher, and a key change one test of `hasEntries`.
 */

/** A client's CLIENT TRACKING state while it is on (Client.tracking; null while off). */
export class ClientTracking {
  /** REDIRECT's client id; 0 for none. */
  redirect = 0;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given, for the next command or transaction. */
  caching = false;
  /** The redirect target was gone when an invalidation was due (flag R, broken_redirect). */
  brokenRedirect = false;
  /** BCAST's prefixes ('' when none was given); null outside BCAST. */
  prefixes: Set<string> | null = null;
}

/** One prefix of BCAST clients: the keys changed since the last broadcast, and its clients. */
interface PrefixState {
  /** Key -> the client whose command changed it last (null: an expiry, an eviction), for NOLOOP. */
  keys: Map<string, Client | null>;
  readonly clients: Set<Client>;
}

/** The options of CLIENT TRACKING ON, parsed. */
export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

const INVALIDATE_PUSH = Buffer.from('>2\r\n$10\r\ninvalidate\r\n', 'latin1');
const INVALIDATE_MESSAGE = Buffer.from('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n', 'latin1');
/** shared.null[resp]: what a flush invalidates, in the tracking client's protocol. */
const NULL_RESP2 = Buffer.from('$-1\r\n', 'latin1');
const NULL_RESP3 = Buffer.from('_\r\n', 'latin1');
/** A pending invalidation of everything (a flush), beside pending keys. */
const FLUSH = null;

/** What startServing() saved and endServing() puts back. */
export interface ServingSaved {
  current: Client | null;
  deferSelf: boolean;
  pending: (string | typeof FLUSH)[];
}

/** The commands whose read is their script's, not their own (Redis's call() leaves them out). */
const READ_ONLY_SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

export class Tracking {
  /** Clients with tracking on (Redis's tracking_clients, INFO). */
  clientCount = 0;
  /** Key -> ids of the clients that read it (Redis's TrackingTable). */
  private table = new Map<string, Set<number>>();
  /** Ids across the table (INFO tracking_total_items). */
  private items = 0;
  /** BCAST prefixes and their clients (Redis's PrefixTable). */
  private readonly prefixTable = new Map<string, PrefixState>();
  /** Keys changed since the last broadcast, across the prefixes: a broadcast is scheduled. */
  private broadcastDue = false;
  /**
   * The client whose read is being run (Redis's current_client): set by the server for
   * each batch of a connection, null between them.
   */
  current: Client | null = null;
  /**
   * A command of `current` is running (Redis's fixed_time_expire inside call()): its own
   * invalidations wait until the command is over (`pending`), so they follow its reply.
   */
  deferSelf = false;
  /** Keys invalidated for `current` while it ran a command; FLUSH for a flush. */
  private pending: (string | typeof FLUSH)[] = [];
  /** The client that called the running script, and its command (Redis's script_caller). */
  scriptCaller: Client | null = null;
  scriptCallerArgv: string[] | null = null;
  /** A command called by a script is running: the script client changes keys (BCAST NOLOOP). */
  inScriptCommand = false;
  /** trackingLimitUsedSlots's timeout_counter: the effort grows while the table stays over the limit. */
  private limitRounds = 0;
  /**
   * tracking-table-max-keys, 0 for no limit; kept here by the config's change handler
   * (config-effects.ts), not looked up for each command.
   */
  maxKeys = 0;
  private readonly keys = new KeyRefs();
  private readonly encoder = new ReplyWriter();
  /** Called once when a broadcast becomes due (the server runs it once the turn is over). */
  onBroadcastDue: () => void = () => {};

  constructor(private readonly server: ServerContext) {}

  /** Whether a key change may concern anyone (Redis's TrackingTable != NULL, made exact). */
  get hasEntries(): boolean {
    return this.table.size !== 0 || this.prefixTable.size !== 0;
  }

  /** INFO tracking_total_keys. */
  get totalKeys(): number {
    return this.table.size;
  }

  /** INFO tracking_total_items. */
  get totalItems(): number {
    return this.items;
  }

  /** INFO tracking_total_prefixes. */
  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  /**
   * CLIENT TRACKING ON (enableTracking), options already checked: the mode flags are set
   * anew (CACHING stays), BCAST prefixes are added to those the client has.
   */
  enable(c: Client, options: TrackingOptions): void {
    let t = c.tracking;
    if (t === null) {
      t = c.tracking = new ClientTracking();
      this.clientCount++;
    }
    t.brokenRedirect = t.bcast = t.optin = t.optout = t.noloop = false;
    t.redirect = options.redirect;
    if (options.bcast) {
      t.bcast = true;
      if (options.prefixes.length === 0) this.addPrefix(c, t, '');
      for (const prefix of options.prefixes) this.addPrefix(c, t, prefix);
    }
    t.optin = options.optin;
    t.optout = options.optout;
    t.noloop = options.noloop;
  }

  private addPrefix(c: Client, t: ClientTracking, prefix: string): void {
    let state = this.prefixTable.get(prefix);
    if (state === undefined) this.prefixTable.set(prefix, (state = { keys: new Map(), clients: new Set() }));
    if (state.clients.has(c)) return;
    state.clients.add(c);
    (t.prefixes ??= new Set()).add(prefix);
  }

  /**
   * CLIENT TRACKING OFF, RESET, a closed connection (disableTracking): the client leaves
   * its prefixes; its ids in the table go lazily (see the top).
   */
  disable(c: Client): void {
    const t = c.tracking;
    if (t === null) return;
    if (t.prefixes !== null) {
      for (const prefix of t.prefixes) {
        const state = this.prefixTable.get(prefix)!;
        state.clients.delete(c);
        if (state.clients.size === 0) this.prefixTable.delete(prefix);
      }
    }
    c.tracking = null;
    this.clientCount--;
  }

  /**
   * After a `readonly` command ran (Redis's call(), when a tracking client is around): its
   * keys are remembered for the client that reads them (trackingRememberKeys). A command a
   * script called counts for the script's caller, with the keys the caller's EVAL or FCALL
   * declares (Redis 7.0 reads c->cmd of the caller). EVAL_RO and friends read nothing
   * themselves: their scripts' commands do.
   */
  afterRead(c: Client, cmd: CommandSpec, argv: string[]): void {
    if (cmd.parent === undefined && READ_ONLY_SCRIPT_COMMANDS.has(cmd.name)) return;
    let reader = c;
    let readCmd: CommandSpec | undefined = cmd;
    let readArgv = argv;
    if (c.isScript) {
      if (this.scriptCaller === null || this.scriptCallerArgv === null) return;
      reader = this.scriptCaller;
      readArgv = this.scriptCallerArgv;
      readCmd = this.server.commands.lookup(readArgv[0]!);
      if (readCmd === undefined) return;
    }
    const t = reader.tracking;
    if (t === null || t.bcast) return;
    // OPTIN: only after CLIENT CACHING YES; OPTOUT: not after CLIENT CACHING NO.
    if (t.optin ? !t.caching : t.optout && t.caching) return;
    const keys = this.keys;
    this.server.acl.keyFinder.find(readCmd, readArgv, keys);
    // Shard channels are keys to COMMAND, not data to cache.
    if (keys.count === 0 || readCmd.flags.has('pubsub')) return;
    const id = reader.id;
    for (let i = 0; i < keys.count; i++) {
      const key = readArgv[keys.positions[i]!]!;
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      if (!ids.has(id)) {
        ids.add(id);
        this.items++;
      }
    }
  }

  /**
   * A key changed (signalModifiedKey -> trackingInvalidateKey). `unattributed`: an expiry
   * or an eviction, which Redis signals with no client. The clients that read it get an
   * invalidation, except a NOLOOP client for its own change; the running client's own
   * wait for the end of its command.
   */
  keyModified(key: string, unattributed: boolean): void {
    if (this.prefixTable.size !== 0) {
      this.rememberForBroadcast(key, unattributed ? null : this.inScriptCommand ? this.server.scriptClient : this.current);
    }
    this.invalidate(key);
  }

  private invalidate(key: string): void {
    const ids = this.table.get(key);
    if (ids === undefined) return;
    // Redis walks the ids as 8-byte little-endian keys of a radix tree: that order.
    const order = ids.size > 1 ? [...ids].sort(littleEndianOrder) : ids;
    for (const id of order) {
      // As Redis's lookupClientByID, then its CLIENT_TRACKING and BCAST flags.
      const target = this.server.clientById(id);
      if (target === undefined) continue;
      const t = target.tracking;
      if (t === null || t.bcast) continue;
      if (target === this.current) {
        if (t.noloop) continue;
        if (this.deferSelf) {
          this.pending.push(key);
          continue;
        }
      }
      this.send(target, key, null);
    }
    this.items -= ids.size;
    this.table.delete(key);
  }

  /**
   * Every key of one database or of all was removed (signalFlushedDb): each tracking
   * client, in connection order, gets the null invalidation (the running one after its
   * command), and the table is emptied; caching is not per database.
   */
  flushed(): void {
    if (this.clientCount !== 0) {
      for (const c of this.server.clients()) {
        if (c.tracking === null) continue;
        if (c === this.current) this.pending.push(FLUSH);
        else this.send(c, null, c.protocol === 3 ? NULL_RESP3 : NULL_RESP2);
      }
    }
    this.table = new Map();
    this.items = 0;
  }

  /**
   * A blocked client is being served from a key (BLMOVE pushing to its destination): it is
   * the current client meanwhile, as in Redis, so invalidations of its own writes wait for
   * its reply. Returns what endServing() needs to put back.
   */
  startServing(c: Client): ServingSaved {
    const saved = { current: this.current, deferSelf: this.deferSelf, pending: this.pending };
    this.current = c;
    this.deferSelf = true;
    this.pending = [];
    return saved;
  }

  /** The served client's reply is queued: its own invalidations follow it, through its queue of messages. */
  endServing(c: Client, saved: ServingSaved): void {
    const pending = this.pending;
    this.current = saved.current;
    this.deferSelf = saved.deferSelf;
    this.pending = saved.pending;
    this.sendPending(c, pending, true);
  }

  /**
   * The running client's command is over (Redis's afterCommand at the top level, then
   * resetClient): its own invalidations go after its reply, and CLIENT CACHING's effect
   * ends with the command that follows it, unless inside MULTI or the command was CLIENT.
   * A client whose replies are dropped (CLIENT REPLY OFF/SKIP) still gets them, through
   * its queue of messages (the connection rolls its replies back).
   */
  afterCommand(c: Client): void {
    this.deferSelf = false;
    if (this.pending.length !== 0) {
      const pending = this.pending;
      this.pending = [];
      this.sendPending(c, pending, c.replyOff || c.replySkip);
    }
    const t = c.tracking;
    if (t !== null && t.caching && c.multi === null && !isClientCommand(c.lastCommand)) t.caching = false;
  }

  /** The invalidations held for client c while its command ran, in order (a flush: the null one). */
  private sendPending(c: Client, pending: readonly (string | typeof FLUSH)[], viaPush: boolean): void {
    for (const key of pending) {
      if (key === FLUSH) this.send(c, null, c.protocol === 3 ? NULL_RESP3 : NULL_RESP2, viaPush);
      else this.send(c, key, null, viaPush);
    }
  }

  /**
   * sendTrackingMessage: one invalidation of `key`, or of the keys `encoded` holds (an
   * encoded array, or null for everything), for client c: on its connection (RESP3) or to
   * its redirect target. To the running client it goes in line with its replies;
   * `viaPush` forces the queue of messages instead (a client whose replies are dropped).
   */
  private send(c: Client, key: string | null, encoded: Buffer | null, viaPush = false): void {
    const t = c.tracking;
    let receiver = c;
    let header: Buffer;
    if (t !== null && t.redirect !== 0) {
      const target = this.server.clientById(t.redirect);
      if (target === undefined) {
        t.brokenRedirect = true;
        if (c.protocol === 3) this.deliver(c, this.encodeBroken(t.redirect), viaPush);
        return;
      }
      receiver = target;
      if (target.protocol === 3) header = INVALIDATE_PUSH;
      else if (target.subscriptions !== null) header = INVALIDATE_MESSAGE;
      else return;
    } else if (c.protocol === 3) {
      header = INVALIDATE_PUSH;
    } else {
      // RESP2 without a redirect: there is no way to tell it.
      return;
    }
    const w = this.encoder;
    w.raw(header);
    if (encoded !== null) {
      w.raw(encoded);
    } else {
      w.arrayHeader(1);
      w.bulk(key!);
    }
    this.deliver(receiver, w.take()!, viaPush);
  }

  private encodeBroken(redirect: number): Buffer {
    const w = this.encoder;
    w.protocol = 3;
    w.pushHeader(2);
    w.bulk('tracking-redir-broken');
    w.integer(redirect);
    return w.take()!;
  }

  /**
   * To the client whose batch is running: in line with its replies (as Redis adds to its
   * reply buffer), unless a script's command is running (the shared writer then holds
   * that command's reply for the script); to any other client: its queue of messages,
   * written at the end of the batch. `bytes` is a view of the encoder's slab, which stays
   * valid (writer.ts), and the connection copies a lone message that would pin it
   * (flushPushes), as for pub/sub messages: no copy here.
   */
  private deliver(receiver: Client, bytes: Buffer, viaPush: boolean): void {
    if (receiver === this.current && !viaPush && !this.inScriptCommand) this.server.reply.raw(bytes);
    else receiver.transport.push(bytes);
  }

  /** trackingRememberKeyToBroadcast: the key joins every prefix it starts with. */
  private rememberForBroadcast(key: string, modifier: Client | null): void {
    let matched = false;
    for (const [prefix, state] of this.prefixTable) {
      if (!key.startsWith(prefix)) continue;
      state.keys.set(key, modifier);
      matched = true;
    }
    if (matched && !this.broadcastDue) {
      this.broadcastDue = true;
      this.onBroadcastDue();
    }
  }

  /**
   * trackingBroadcastInvalidationMessages, once the turn of the event loop that changed
   * the keys is over: prefix by prefix (in byte order), one invalidation with the prefix's
   * changed keys (in byte order) to each of its clients; a NOLOOP client's leaves out the
   * keys it changed itself, and gets nothing if none is left.
   */
  broadcast(): void {
    this.broadcastDue = false;
    if (this.clientCount === 0) return;
    const prefixes = [...this.prefixTable.keys()].sort();
    for (const prefix of prefixes) {
      const state = this.prefixTable.get(prefix)!;
      if (state.keys.size === 0) continue;
      const keys = [...state.keys.keys()].sort();
      let all: Buffer | null = null;
      for (const c of state.clients) {
        if (c.tracking!.noloop) {
          const own = keys.filter((k) => state.keys.get(k) !== c);
          if (own.length !== 0) this.send(c, null, this.encodeKeys(own));
        } else {
          this.send(c, null, (all ??= this.encodeKeys(keys)));
        }
      }
      state.keys = new Map();
    }
  }

  private encodeKeys(keys: readonly string[]): Buffer {
    const w = this.encoder;
    w.arrayHeader(keys.length);
    for (const k of keys) w.bulk(k);
    return w.take()!;
  }

  /**
   * tracking-table-max-keys (trackingLimitUsedSlots), before each command and from the
   * cron while a client tracks: over the limit, keys are dropped from the table, their
   * readers invalidated as if the keys changed, until it is under it again or the round's
   * effort (100 keys, 100 more each round that ends still over) is spent. Redis picks the
   * keys at random; lapse takes the oldest entries first.
   */
  limitUsedSlots(): void {
    const maxKeys = this.maxKeys;
    if (maxKeys === 0 || this.table.size <= maxKeys) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    while (effort-- > 0) {
      const next = this.table.keys().next();
      if (next.done === true) break;
      this.invalidate(next.value);
      if (this.table.size <= maxKeys) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }
}

/** Order of ids as Redis's radix tree walks them: their 8 bytes little-endian, lowest byte first. */
function littleEndianOrder(a: number, b: number): number {
  for (let i = 0; i < 7; i++) {
    const x = a % 256;
    const y = b % 256;
    if (x !== y) return x - y;
    a = Math.floor(a / 256);
    b = Math.floor(b / 256);
  }
  return 0;
}

/** Whether the command was CLIENT, any subcommand (Redis compares the proc, clientCommand). */
function isClientCommand(fullName: string): boolean {
  return fullName === 'client' || fullName.startsWith('client|');
}
