/*
 * Import cycle kept on purpose (type-only, no runtime import goes round it): Client is the
 * hub of the commands layer. Handlers take a Client (declare.ts's Handler), and a Client
 * holds state typed by the files that act on it: its server's CommandTable (table.ts), its
 * MULTI queue of CommandSpecs (multi-state.ts), its WATCHed keys (watch.ts) and its
 * CLIENT TRACKING state (tracking.ts). Splitting the types from what they describe would
 * break the cycle only on paper. Files in it: context.ts, declare.ts, table.ts,
 * multi-state.ts, watch.ts, tracking.ts.
 */
import type { Config } from '../config/config.js';
import type { Database } from '../keyspace/database.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { Protocol, ReplyWriter } from '../protocol/writer.js';
import type { ClientSubscriptions, PubSubHub } from '../pubsub/hub.js';
import type { CommandSpec, CommandTable } from './table.js';
import type { CommandTimer } from './command-timing.js';
import type { MultiState } from './multi-state.js';
import type { WatchedKey, WatchRegistry } from './watch.js';
import type { Persistence } from '../persistence/save-scheduler.js';
import type { Acl } from '../acl/acl.js';
import type { BlockingRegistry } from './blocking.js';
import type { ClientPause } from './client-pause.js';
import type { User } from '../acl/user.js';
import type { WriteStream } from '../replication/write-stream.js';
import type { Primary, ReplicaLink, ReplicaSocket } from '../replication/primary.js';
import type { PrimaryLink } from '../replication/replica.js';
import type { ScriptEngine } from '../scripting/script-engine.js';
import type { FunctionEngine } from '../scripting/function-engine.js';
import type { ClientTracking, Tracking } from './tracking.js';

/**
 * What commands see of the server and of the client they serve. The server layer
 * implements these; commands know no sockets.
 */

/** Facts about a client's transport, for CLIENT LIST/INFO and INFO. */
export interface ClientTransport {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly fd: number;
  /** Bytes held for an unfinished command. */
  queryBufferLength(): number;
  /** Bytes written to the socket and not yet sent, and pub/sub messages not written yet. */
  outputBufferLength(): number;
  /** Bytes of the arguments already read of an unfinished command (CLIENT LIST argv-mem). */
  pendingArgvLength(): number;
  /**
   * What the connection itself costs besides its buffers: socket, parser and connection
   * objects, the parser's spare buffer capacity, and the unused end of the output queue's
   * last block (part of CLIENT LIST tot-mem).
   */
  fixedMemory(): number;
  /** Over an output buffer limit: closed as soon as the current batch is over (flag A). */
  readonly closingAsap: boolean;
  /**
   * Queues encoded pub/sub messages for this client while another client's commands
   * run; they are written, in order and with one write, once that batch is over.
   */
  push(bytes: Buffer): void;
  /** Closes the connection now (another client's CLIENT KILL). */
  close(): void;
  /**
   * The client became a replica (SYNC, PSYNC): from now on its replies are dropped and
   * the primary writes the RDB and the stream to the socket returned.
   */
  replicaSocket(): ReplicaSocket;
  /**
   * The client was blocked on keys and is not any more (blocking.ts): its connection
   * goes on, on a later turn of the event loop, with the commands it sent meanwhile.
   */
  unblocked(): void;
}

/**
 * The transport of a client without a socket of its own (the script client, a replica's
 * primary client): nothing buffered, nothing to push; `close` and the address are the
 * caller's.
 */
export function socketlessTransport(name: string, remoteAddress = '', close: () => void = () => {}, unblocked: () => void = () => {}): ClientTransport {
  return {
    remoteAddress,
    localAddress: '',
    fd: -1,
    queryBufferLength: () => 0,
    outputBufferLength: () => 0,
    pendingArgvLength: () => 0,
    fixedMemory: () => 0,
    closingAsap: false,
    push: () => {},
    close,
    unblocked,
    replicaSocket: () => {
      throw new Error(`the ${name} cannot become a replica`);
    },
  };
}

/** Redis's performEvictions result: under the limit, evicting in the background, or stuck over it. */
export type EvictionResult = 'ok' | 'running' | 'fail';

/** Used memory and maxmemory (server/memory.ts describes what is counted). */
export interface MemoryContext {
  /** maxmemory in bytes; 0 = no limit. */
  readonly maxmemory: number;
  /** used_memory: what maxmemory is compared with. */
  used(): number;
  /** The keys' estimated bytes (used_memory_dataset). */
  dataset(): number;
  /** used_memory once the server was set up. */
  readonly startup: number;
  /** The process's memory before the server was created, which used_memory leaves out (INFO lapse_baseline_memory). */
  readonly baseline: number;
  /** MEMORY PURGE: a full GC, then used memory re-anchored to the heap. */
  purge(): void;
  /** The garbage collections lapse ran by itself to give memory back, and their pauses; null when it runs none (embedded). */
  readonly reclaimer: { readonly collections: number; readonly lastPauseMs: number; readonly maxPauseMs: number } | null;
  /** Evicts keys while used memory is over maxmemory (before a command). */
  performEvictions(): EvictionResult;
  /** Time spent over maxmemory, ms: in total, and in the current stretch. */
  exceededTime(): { total: number; current: number };
}

export interface ServerStats {
  totalCommandsProcessed: number;
  totalConnectionsReceived: number;
  rejectedConnections: number;
  totalErrorReplies: number;
  totalReadsProcessed: number;
  totalWritesProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Error replies by their first word (INFO errorstats). */
  errorCodes: Map<string, number>;
  /** Sampled rates (Redis's instantaneous metrics), kept up to date by the server. */
  instantaneousOpsPerSec: number;
  instantaneousInputKbps: number;
  instantaneousOutputKbps: number;
  /** Highest used memory seen (INFO used_memory_peak). */
  peakMemory: number;
}

export interface ShutdownOptions {
  save?: boolean;
  noSave?: boolean;
  now?: boolean;
  force?: boolean;
  abort?: boolean;
}

export interface ServerInfo {
  readonly version: string;
  readonly runId: string;
  readonly startTime: number;
  readonly pid: number;
  /** INFO process_supervised: 'systemd', 'upstart' or 'no'. */
  readonly supervised: string;
  readonly configFile: string;
  readonly executable: string;
  /** Memory in use once the server was set up (INFO used_memory_startup). */
  readonly startupMemory: number;
  /** How many times a second the server's cron runs (INFO hz). */
  readonly hz: number;
  /** The TCP port actually listened on, else the TLS port (0 before listen). */
  tcpPort(): number;
}

export interface ServerContext {
  readonly keyspace: Keyspace;
  readonly config: Config;
  readonly commands: CommandTable;
  readonly stats: ServerStats;
  readonly info: ServerInfo;
  readonly reply: ReplyWriter;
  /** Which clients WATCH which keys (transactions). */
  readonly watches: WatchRegistry;
  /** Snapshots: save points, SAVE/BGSAVE, LASTSAVE, the MISCONF state. */
  readonly persistence: Persistence;
  /** Channels, patterns and their subscribers (pub/sub and keyspace notifications). */
  readonly pubsub: PubSubHub;
  /** Users and their permissions (ACL), the ACL log. */
  readonly acl: Acl;
  /** Clients blocked on keys (BLPOP and friends). */
  readonly blocking: BlockingRegistry;
  /** CLIENT PAUSE: the mode in force and the clients parked by it (client-pause.ts). */
  readonly pause: ClientPause;
  /** Where this server's client ids come from. */
  readonly clientIds: ClientIds;
  /** Used memory, maxmemory and eviction. */
  readonly memory: MemoryContext;
  /** EVAL's Lua engine and script cache (scripting/script-engine.ts). */
  readonly scripts: ScriptEngine;
  /** What the writes look like to replicas (replication/write-stream.ts). */
  readonly writeStream: WriteStream;
  /** The primary side of replication: replicas, backlog, offsets (replication/primary.ts). */
  readonly replication: Primary;
  /** The replica side: the link to this server's primary, if it follows one (replication/replica.ts). */
  readonly primaryLink: PrimaryLink;
  /** Clients in MONITOR mode (monitor-commands.ts). */
  readonly monitors: Set<Client>;
  /** Commands' durations, the slow log and the latency monitor (command-timing.ts). */
  readonly commandTimer: CommandTimer;
  /**
   * DEBUG SET-DISABLE-DENY-SCRIPTS 1 (Redis's script_disable_deny_script, for its tests):
   * scripts may call the commands flagged noscript.
   */
  scriptDenyDisabled: boolean;
  /** DEBUG PAUSE-CRON 1 (Redis's pause_cron, for its tests): the cron skips its work. */
  cronPaused: boolean;
  /** FUNCTION's libraries and their Lua state (function-commands.ts). */
  readonly functions: FunctionEngine;
  /** The client scripts run their commands on (made at the first script run: script-commands.ts). */
  scriptClient: Client | null;
  /**
   * Whether a client that has not authenticated must do so: the default user has a
   * password (requirepass) or is off. As in Redis, giving the default user nopass lets
   * such clients in, and a password shuts them out again.
   */
  readonly authRequired: boolean;
  clients(): Iterable<Client>;
  /** A connected client by its id (Redis's lookupClientByID). */
  clientById(id: number): Client | undefined;
  /** Client-side caching: the tracking table, BCAST prefixes, invalidations (tracking.ts). */
  readonly tracking: Tracking;
  /** Number of connected clients. */
  readonly clientCount: number;
  /**
   * Shuts the server down (closing this client's connection too, with no reply); returns
   * an error text instead if it refuses.
   */
  shutdown(options: ShutdownOptions): string | null;
  log(level: 'debug' | 'verbose' | 'notice' | 'warning', message: string): void;
  resetStats(): void;
}

/**
 * Client ids of one server: from 1, in creation order, for the life of the server (each
 * server its own sequence, as each redis-server process has).
 */
export class ClientIds {
  private next = 1;

  /** The next id. */
  take(): number {
    return this.next++;
  }

  /**
   * A connection refused after it was accepted (protected mode) takes an id, as in
   * Redis, where the client exists before the check.
   */
  skip(): void {
    this.next++;
  }
}

/** A write command's propagateAs when it propagated what it did itself (SPOP's SREMs): nothing more. */
export const NO_PROPAGATION: string[] = [];

/** One client's session state. Created by the server for each connection. */
export class Client {
  readonly id: number;
  readonly reply: ReplyWriter;
  db: Database;
  protocol: Protocol = 2;
  name = '';
  libName = '';
  libVersion = '';
  authenticated: boolean;
  /** The ACL user the client runs as (CLIENT LIST user=, ACL WHOAMI). */
  user: User;
  /** Set by QUIT and protocol errors: close once the pending replies are written. */
  closeAfterReply = false;
  readonly createdAt: number;
  lastInteraction: number;
  /** Full name of the last command run, for CLIENT LIST `cmd=`. */
  lastCommand = 'NULL';
  /** The command that blocked this client, with the time it ran then (command-timing.ts). */
  blockedCommand: { readonly cmd: CommandSpec; readonly argv: readonly string[]; readonly us: number } | null = null;
  /**
   * Set by a write command's handler when it must reach the write stream in another form
   * than the one it was sent in (Redis's rewriteClientCommandVector); read once the
   * command ran, cleared before each command.
   */
  propagateAs: string[] | null = null;
  /** Set by a command that reaches the write stream even when it changed nothing (FLUSHALL, PUBLISH: forceCommandPropagation). */
  forcePropagation = false;
  // Transactions (transaction-commands.ts, watch.ts).
  /** Between MULTI and the end of EXEC or DISCARD: the queued commands; null otherwise. */
  multi: MultiState | null = null;
  /** The keys this client WATCHes; null when none. */
  watched: WatchedKey[] | null = null;
  /**
   * A watched key changed: the next EXEC answers a null array (Redis's CLIENT_DIRTY_CAS).
   * Cleared by EXEC, DISCARD, UNWATCH and RESET.
   */
  watchDirty = false;
  /** Pub/sub: set exactly while the client is subscribed to something (Redis's CLIENT_PUBSUB). */
  subscriptions: ClientSubscriptions | null = null;
  /**
   * Blocked on keys (blocking.ts; Redis's CLIENT_BLOCKED, flag b): its connection runs
   * none of its commands until the registry answers it.
   */
  blocked = false;
  /**
   * The command CLIENT PAUSE parked (client-pause.ts), to run from the start once the
   * pause ends; the client is `blocked` while parked, and its connection holds what it
   * sends until this command has run.
   */
  parkedCommand: string[] | null = null;
  /**
   * Set while a script this client started is suspended past busy-reply-threshold
   * (script-busy.ts): what is left of its command(s) to do once the script ends,
   * innermost first (EVAL's own end, then EXEC's remaining commands). The client is also
   * `blocked` meanwhile, so its connection holds what it sends (Redis's protectClient).
   */
  afterScript: (() => void)[] | null = null;
  /**
   * The client scripts run their commands on (Redis's lua_client, CLIENT_SCRIPT): it never
   * blocks (CLIENT_DENY_BLOCKING: BLPOP answers as on a timeout), and its ACL refusals are
   * logged in the `lua` context.
   */
  isScript = false;
  /** CLIENT REPLY OFF: the connection drops this client's replies. */
  replyOff = false;
  /** CLIENT REPLY SKIP was sent: the next command's reply is dropped (replySkip while it runs). */
  replySkipNext = false;
  replySkip = false;
  /** MONITOR was sent: every command run is shown to it (flag O). */
  isMonitor = false;
  /** The client a replica runs its primary's stream on (Redis's CLIENT_MASTER, flag M): obeyed, never refused. */
  isPrimary = false;
  /** What REPLCONF told and, once it sent SYNC or PSYNC, its state as a replica (flag S). */
  replica: ReplicaLink | null = null;
  /**
   * The replication offset right after this client's last command that reached the write
   * stream (Redis's woff): what WAIT waits for replicas to acknowledge.
   */
  woff = 0;

  /** A replica (it sent SYNC or PSYNC): Redis's CLIENT_SLAVE. */
  get isReplica(): boolean {
    return this.replica !== null && this.replica.state !== 'none';
  }
  /** CLIENT TRACKING's state while it is on (flags t, R, B); null while off (tracking.ts). */
  tracking: ClientTracking | null = null;
  /** CLIENT NO-EVICT ON (flag e). lapse evicts keys, never clients: it only shows in CLIENT LIST. */
  noEvict = false;
  /**
   * The server's error count when this client's last command (the innermost, inside
   * EXEC) finished: a command failed if errors were sent since, so EXEC fails only by its
   * own error, not by those of the commands it ran (Redis's prev_err_count).
   */
  errorsSeen = 0;

  constructor(
    readonly server: ServerContext,
    readonly transport: ClientTransport,
  ) {
    this.id = server.clientIds.take();
    this.reply = server.reply;
    this.db = server.keyspace.dbs[0]!;
    this.user = server.acl.defaultUser;
    this.authenticated = server.acl.defaultAuthenticates;
    this.createdAt = this.lastInteraction = Date.now();
  }

}
