import net from 'node:net';
import tls from 'node:tls';
import crypto from 'node:crypto';
import path from 'node:path';
import { Config, ConfigFileError, loadConfigText } from '../config/config.js';
import { ERR_BAD_DIRECTIVE } from '../config/config-errors.js';
import { PARAMS, SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE, type ParamValue } from '../config/params.js';
import { Client, type ServerContext, type ServerInfo, type ServerStats, type ShutdownOptions } from '../commands/context.js';
import { createCommandTable } from '../commands/index.js';
import type { CommandTable } from '../commands/table.js';
import { WatchRegistry } from '../commands/watch.js';
import { SystemClock, type Clock } from '../keyspace/clock.js';
import { Keyspace } from '../keyspace/keyspace.js';
import type { ParserLimits } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/writer.js';
import { PubSubHub } from '../pubsub/hub.js';
import { KeyspaceNotifier } from '../pubsub/notifications.js';
import { Connection } from './connection.js';
import { LineLogger, silentLogger, type LogLevel, type Logger } from './logger.js';
import { SyslogSink } from './syslog.js';
import { startupBanner } from './banner.js';
import { VERSION } from '../version.js';
import { ERR_SHUTDOWN_FAILED, maxclientsOverOpenFiles } from '../commands/errors.js';
import { Persistence } from '../persistence/save-scheduler.js';
import type { SnapshotTuning } from '../persistence/snapshot.js';
import { Acl } from '../acl/acl.js';
import { splitArgs } from '../util/split-args.js';
import { TlsConfigError, TlsSessionCache, tlsSettings, type TlsSettings } from './tls.js';
import { outputBufferLimitsOf, type OutputBufferLimits } from '../config/output-limits.js';
import { Memory, processMemoryBefore, type ProcessMemory } from './memory.js';
import { bindFailureSkips, bindFailureText, parseBindAddress, resolveBindAddress } from './bind.js';
import { adjustOpenFilesLimit } from './open-files.js';

/** Options of createServer: any redis.conf parameter by name, plus embedding options. */
export interface ServerOptions {
  /** redis.conf parameters, e.g. { port: 0, databases: 16, requirepass: 's3cret' }. */
  [parameter: string]: unknown;
  /** Time source (a ManualClock in tests). */
  clock?: Clock;
  /** Where log lines go; silent by default when embedded, Redis's line format from the CLI. */
  logger?: Logger | 'stdout';
  /** redis.conf-style text applied before the parameters (the CLI's config file). */
  configText?: string;
  /** Shown in INFO as config_file. */
  configFile?: string;
  /**
   * Where snapshot settings start. 'volatile' (the default when embedding): no save
   * points, and nothing is loaded at listen() unless the options or configText set save
   * points. 'redis' (the CLI): Redis's defaults (save 3600 1 300 100 60 10000) and, as
   * Redis, the snapshot in dir/dbfilename is loaded at start-up whenever it exists.
   */
  persistence?: 'volatile' | 'redis';
  /** How BGSAVE shares the event loop (tests and benchmarks). */
  snapshotTuning?: SnapshotTuning;
  /**
   * The server is all this process runs (the CLI sets it): used_memory is anchored to
   * V8's heap at each full GC, and lapse collects garbage by itself when the server is
   * quiet or after a large deletion, so that memory goes back to the system (see
   * src/server/memory.ts). Default false: embedded, used_memory counts the server's own
   * estimate and lapse never forces a GC in the host's process.
   */
  ownsProcess?: boolean;
  /**
   * ACL users, as `user` lines of redis.conf without the word "user":
   * 'alice on >s3cret ~sess:* +@read +@write -@dangerous'.
   */
  user?: string | string[];
  /** Told what a service manager should know (the CLI's systemd notifications). */
  supervisor?: Supervisor;
}

/**
 * The process's supervisor, as the server tells it of its shutdown: systemd's sd_notify
 * states (`STOPPING=1`, `STATUS=...`), as Redis sends them.
 */
export interface Supervisor {
  /** As INFO's process_supervised shows it. */
  readonly mode: 'systemd' | 'upstart';
  notify(state: string): void;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Raised when a listener cannot bind (for the CLI's one-line message). */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const EMBED_OPTIONS = new Set([
  'clock', 'logger', 'configText', 'configFile', 'persistence', 'snapshotTuning', 'user', 'supervisor', 'ownsProcess',
]);

/** The reply to a connection refused by protected mode (Redis 7.0's networking.c, byte for byte). */
const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set ' +
  'for the default user. In this mode connections are only accepted from the loopback interface. If you ' +
  'want to connect from external computers to Redis you may adopt one of the following solutions: 1) ' +
  "Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback " +
  'interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is ' +
  'not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  '2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and ' +
  "setting the protected mode option to 'no', and then restarting the server. 3) If you started the " +
  "server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an " +
  'authentication password for the default user. NOTE: You only need to do one of the above things in ' +
  'order for the server to start accepting connections from the outside.\r\n';

/**
 * Whether protected mode refuses a client from this address (clientAcceptHandler): only
 * 127.0.0.1 and ::1 count as loopback, as in Redis (other 127.x addresses do not).
 */
export function protectedModeRefuses(protectedMode: boolean, defaultNopass: boolean, remoteAddress: string | undefined): boolean {
  if (!protectedMode || !defaultNopass) return false;
  const address = remoteAddress?.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
  return address !== '127.0.0.1' && address !== '::1';
}

/**
 * Closes a TLS client refused after its handshake: a close_notify, then the connection
 * ends once the client closes its side (or soon). Dropped at once, the connection would
 * meet the client's next bytes with a reset, and a client that does not ignore SIGPIPE
 * (redis-cli) would die writing instead of reporting the closed connection.
 */
function refuseTls(socket: tls.TLSSocket): void {
  const close = () => socket.destroy();
  socket.on('error', () => undefined);
  socket.on('end', close);
  socket.resume();
  socket.end();
  setTimeout(close, 3000).unref();
}

/** Raised when the configuration cannot start a server (ACL users, TLS). */
export class StartupError extends Error {}

/**
 * A lapse server: the keyspace, the command table, the configuration, and TCP
 * listeners with one Connection per client. Embeddable: createServer(options),
 * await listen(), await close().
 */
export class LapseServer implements ServerContext {
  readonly config: Config;
  readonly keyspace: Keyspace;
  readonly commands: CommandTable;
  readonly reply = new ReplyWriter();
  readonly watches = new WatchRegistry();
  readonly pubsub = new PubSubHub();
  private readonly notifier = new KeyspaceNotifier(this.pubsub);
  /** Connections with pub/sub messages queued, written at the end of the batch (or soon). */
  private pushPending: Connection[] = [];
  private pushFlushScheduled = false;
  private inBatch = false;
  readonly clock: Clock;
  readonly stats: ServerStats = newStats();
  readonly info: ServerInfo;
  readonly parserLimits: ParserLimits;
  /** client-output-buffer-limit, by class (connections check it after each write). */
  outputLimits: OutputBufferLimits;
  private readonly logger: Logger;
  private readonly listeners: net.Server[] = [];
  /** The TLS listeners (also in listeners), and what they were configured with. */
  private readonly tlsListeners: tls.Server[] = [];
  private tls: TlsSettings | null = null;
  /** New TLS settings, checked by validateTls, for the listeners once the change applies. */
  private pendingTls: TlsSettings | null = null;
  private readonly tlsSessions = new TlsSessionCache(
    () => this.config.number('tls-session-cache-size'),
    () => this.config.number('tls-session-cache-timeout'),
  );
  private tlsPort = 0;
  readonly acl: Acl;
  private readonly connections = new Set<Connection>();
  private port = 0;
  private cron: NodeJS.Timeout | null = null;
  private cronTicks = 0;
  private readonly opsRate = new RateSampler();
  private readonly inputRate = new RateSampler();
  private readonly outputRate = new RateSampler();
  private closing: Promise<void> | null = null;
  private shutdownHandler: (() => void) | null = null;
  private readonly supervisor: Supervisor | null;
  /** The cron's frequency now (hz). */
  private cronHz = DEFAULT_HZ;
  readonly persistence: Persistence;
  /** used_memory, maxmemory and eviction. */
  readonly memory: Memory;
  /** Whether listen() loads the snapshot first (see ServerOptions.persistence). */
  private readonly loadAtStart: boolean;

  /** `before`: the process's memory before the server was created (createServer takes it first). */
  constructor(options: ServerOptions = {}, before: ProcessMemory = processMemoryBefore(options.ownsProcess === true)) {
    this.config = new Config();
    this.commands = createCommandTable();
    // Users exist before the configuration is read: its `user` lines are checked as read.
    this.acl = new Acl(this.commands, () => this.config.number('acllog-max-len'), (level, message) => this.log(level, message));
    const redisDefaults = options.persistence === 'redis';
    if (!redisDefaults) this.config.setInitial('save', ['']);
    const directives = {
      user: (args: string[]) => this.acl.appendUserForLoading(args),
      renameCommand: (name: string, newName: string) => this.commands.rename(name, newName),
    };
    if (options.configText) loadConfigText(this.config, options.configText, VERSION, directives);
    for (const [name, value] of Object.entries(options)) {
      if (EMBED_OPTIONS.has(name) || value === undefined) continue;
      this.config.setInitial(name, [formatOption(value)]);
    }
    for (const line of options.user === undefined ? [] : ([] as string[]).concat(options.user)) {
      const args = splitArgs(line);
      const error = args === null || args.length === 0 ? ERR_BAD_DIRECTIVE : this.acl.appendUserForLoading(args);
      if (error !== null) throw new ConfigFileError(error);
    }
    this.clock = options.clock ?? new SystemClock();
    this.supervisor = options.supervisor ?? null;
    if (options.logger === 'stdout') {
      // Redis opens the log file at each line, relative to its working directory (dir).
      const logfile = () => {
        const file = this.config.string('logfile');
        return file === '' ? '' : path.resolve(this.config.string('dir'), file);
      };
      const syslog = this.config.bool('syslog-enabled')
        ? new SyslogSink(
            () => this.config.string('syslog-ident'),
            () => this.config.string('syslog-facility'),
            (message) => this.log('warning', message),
          )
        : null;
      this.logger = new LineLogger(() => this.config.string('loglevel') as LogLevel, logfile, syslog);
    } else {
      this.logger = options.logger ?? silentLogger;
    }
    this.warnNoEffect();
    // As Redis at start-up: requirepass gives the default user its password, then the
    // configured users (a `user default` line overrides it) or the ACL file.
    this.acl.allChannelsByDefault = this.config.string('acl-pubsub-default') === 'allchannels';
    if (this.config.string('requirepass') !== '') this.acl.setRequirepass(this.config.string('requirepass'));
    const aclError = this.acl.loadAtStartup(this.config.string('aclfile'), this.config.string('dir'));
    if (aclError !== null) {
      this.log('warning', aclError);
      throw new StartupError(aclError);
    }
    this.keyspace = new Keyspace(this.clock, this.config.number('databases'));
    // WATCH: every change to a key and every flush reaches the watch registry.
    this.keyspace.listener.keyModified = (db, key) => this.watches.keyModified(db, key);
    this.keyspace.listener.databaseFlushed = (db, removed) => this.watches.databaseFlushed(db, removed);
    this.memory = new Memory(this.keyspace, this.config, this.clock, (level, message) => this.log(level, message), {
      ownsProcess: options.ownsProcess === true,
      before,
      clientBuffers: () => this.clientBuffers(),
    });
    this.persistence = new Persistence(
      this.keyspace,
      this.config,
      (level, message) => this.log(level, message),
      () => this.memory.used(),
      options.snapshotTuning,
    );
    this.loadAtStart = redisDefaults || this.persistence.hasSavePoints;
    this.parserLimits = {
      maxBulkLength: this.config.number('proto-max-bulk-len'),
      maxQueryBuffer: this.config.number('client-query-buffer-limit'),
    };
    this.outputLimits = outputBufferLimitsOf(this.config.string('client-output-buffer-limit'));
    this.config.onChange((name, value) => this.applyConfig(name, value));
    this.config.onValidate((pending) => this.validateTls(pending));
    this.config.onValidate((pending) => this.validateMaxclients(pending));
    for (const name of ['hash-max-listpack-entries', 'hash-max-listpack-value']) this.applyConfig(name, this.config.get(name));
    this.notifier.flags = this.config.number('notify-keyspace-events');
    this.keyspace.listener.event = (cls, event, key, db) => this.notifier.event(cls, event, key, db);
    this.reply.onError = (text) => this.countError(text);
    const startTime = Date.now();
    this.cronHz = this.config.number('hz');
    const server = this;
    this.info = {
      version: VERSION,
      runId: crypto.randomBytes(20).toString('hex'),
      startTime,
      pid: process.pid,
      supervised: options.supervisor?.mode ?? 'no',
      configFile: options.configFile ?? '',
      executable: process.argv[1] ? path.resolve(process.argv[1]) : process.execPath,
      replicationId: crypto.randomBytes(20).toString('hex'),
      startupMemory: this.memory.startup,
      get hz() {
        return server.cronHz;
      },
      // As Redis's INFO tcp_port: the TLS port when there is no TCP listener.
      tcpPort: () => this.port || this.tlsPort,
    };
    this.stats.peakMemory = this.info.startupMemory;
  }

  get authRequired(): boolean {
    return this.acl.defaultRequiresAuth;
  }

  /**
   * Listens on every `bind` address at `port` (0 picks a free port, the same for all
   * addresses), and at `tls-port` with TLS if set. As in Redis, `port 0` with a TLS port
   * means TLS only, and a server left with no listener at all (every address skipped, or
   * `bind ""`) does not start. Resolves with the first address.
   */
  async listen(): Promise<ListenAddress> {
    // The dataset is complete before the first client can connect (a corrupt file
    // throws here, naming the offset, and nothing listens).
    if (this.loadAtStart && this.listeners.length === 0) this.persistence.load();
    const tlsPort = this.config.number('tls-port');
    if (tlsPort !== 0) {
      try {
        this.tls = tlsSettings((name) => this.config.get(name));
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        this.log('warning', e.message);
        this.log('warning', 'Failed to configure TLS. Check logs for more info.');
        throw new ListenError('Failed to configure TLS. Check logs for more info.', undefined);
      }
    }
    this.fitMaxclientsToOpenFiles();
    let first: ListenAddress | null = null;
    const port = this.config.number('port');
    if (port !== 0 || tlsPort === 0) {
      first = await this.listenAll(port, false);
      if (first !== null) this.port = first.port;
    }
    if (tlsPort !== 0) {
      const bound = await this.listenAll(tlsPort, true);
      if (bound !== null) this.tlsPort = bound.port;
      first ??= bound;
    }
    if (first === null) {
      this.log('warning', 'Configured to not listen anywhere, exiting.');
      throw new ListenError('Configured to not listen anywhere, exiting.', undefined);
    }
    this.memory.start();
    this.startCron();
    this.logStartup();
    const where = this.listeners.map((l) => {
      const a = l.address() as net.AddressInfo;
      return formatHostPort(a.address, a.port) + (l instanceof tls.Server ? ' (tls)' : '');
    });
    this.log('notice', `Ready to accept connections on ${where.join(', ')}`);
    return first;
  }

  /**
   * maxclients within the open-file limit, as Redis checks it at start-up (open-files.ts):
   * the soft limit is raised, or maxclients lowered to what it allows.
   */
  private fitMaxclientsToOpenFiles(): void {
    const wanted = this.config.number('maxclients');
    const allowed = adjustOpenFilesLimit(wanted, (level, message) => this.log(level, message));
    if (allowed === null) {
      throw new ListenError("The open file limit ('ulimit -n') is not enough for the server to start. Exiting.", 'EMFILE');
    }
    if (allowed !== wanted) this.config.setInitial('maxclients', [String(allowed)]);
  }

  /**
   * CONFIG SET maxclients, as Redis's updateMaxclients: the open-file limit is adjusted
   * for the new value (raised, or not); if it cannot serve that many clients, the change
   * is refused, naming how many it could.
   */
  private validateMaxclients(pending: ReadonlyMap<string, ParamValue>): { name: string; reason: string } | null {
    const value = pending.get('maxclients');
    if (value === undefined) return null;
    const wanted = Number(value);
    const allowed = adjustOpenFilesLimit(wanted, (level, message) => this.log(level, message)) ?? 0;
    if (allowed === wanted) return null;
    this.log('warning', 'Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
    return { name: 'maxclients', reason: maxclientsOverOpenFiles(allowed) };
  }

  /**
   * Listens at port on every bind address, as Redis's listenToPort (bind.ts says how an
   * address is read): each failure is logged with Redis's warning; an optional address
   * that is not available, or one of a family the kernel lacks, is skipped; any other
   * failure closes every listener, logs Redis's "aborting" line and throws. Resolves with
   * the first address bound, or null if none was.
   */
  private async listenAll(port: number, secure: boolean): Promise<ListenAddress | null> {
    let first: ListenAddress | null = null;
    for (const entry of this.config.list('bind')) {
      const address = parseBindAddress(entry);
      try {
        const bound = await this.listenOne(await resolveBindAddress(address), port, secure);
        port = bound.port;
        first ??= bound;
      } catch (e) {
        const error = e as NodeJS.ErrnoException;
        const why = bindFailureText(error);
        this.log('warning', `Warning: Could not create server TCP listening socket ${address.text}:${port}: ${why}`);
        if (bindFailureSkips(address, error.code)) continue;
        await this.closeListeners();
        this.log('warning', `Failed listening on port ${port} (${secure ? 'TLS' : 'TCP'}), aborting.`);
        throw new ListenError(`Could not listen on ${formatHostPort(address.text, port)}: ${why}`, error.code);
      }
    }
    return first;
  }

  /** Stops listening, closes every client, stops timers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.cron) clearInterval(this.cron);
      this.cron = null;
      for (const c of [...this.connections]) c.destroy();
      await this.closeListeners();
      await this.persistence.abortBgsave();
      this.keyspace.close();
      this.memory.close();
    })();
    return this.closing;
  }

  /** Called by SHUTDOWN; the CLI sets it to exit the process after close(). */
  onShutdown(handler: () => void): void {
    this.shutdownHandler = handler;
  }

  *clients(): Iterable<Client> {
    for (const c of this.connections) yield c.client;
  }

  get clientCount(): number {
    return this.connections.size;
  }

  /** Bytes in the clients' query and output buffers (used_memory counts them, as Redis does). */
  private clientBuffers(): number {
    let n = 0;
    for (const c of this.connections) n += c.queryBufferLength() + c.outputBufferLength();
    return n;
  }

  /**
   * SHUTDOWN, as Redis's prepareForShutdown: a background save is stopped; with save
   * points (unless NOSAVE), or with SAVE, the dataset is saved synchronously first. If
   * that save fails the server refuses to exit (and keeps serving) unless FORCE.
   */
  shutdown(options: ShutdownOptions): string | null {
    this.log('warning', 'User requested shutdown...');
    this.supervisor?.notify('STOPPING=1\n');
    if (!this.prepareForShutdown(options)) {
      this.log('warning', 'Errors trying to shut down the server. Check the logs for more information.');
      return ERR_SHUTDOWN_FAILED;
    }
    // Let the current batch finish, then close everything.
    setImmediate(() => {
      void this.close().then(() => this.shutdownHandler?.());
    });
    return null;
  }

  /**
   * SIGTERM and SIGINT, as Redis handles them: a SHUTDOWN with the options of
   * shutdown-on-sigterm / shutdown-on-sigint (default: none). Resolves false (and the
   * server keeps running) if the final save failed.
   */
  async shutdownOnSignal(signal: string): Promise<boolean> {
    this.log('warning', `Received ${signal}, scheduling shutdown...`);
    this.log('warning', 'User requested shutdown...');
    this.supervisor?.notify('STOPPING=1\n');
    const flags = signal === 'SIGINT' ? this.config.number('shutdown-on-sigint') : this.config.number('shutdown-on-sigterm');
    const options: ShutdownOptions = {
      save: (flags & SHUTDOWN_SAVE) !== 0,
      noSave: (flags & SHUTDOWN_NOSAVE) !== 0,
      now: (flags & SHUTDOWN_NOW) !== 0,
      force: (flags & SHUTDOWN_FORCE) !== 0,
    };
    if (!this.prepareForShutdown(options)) {
      this.log('warning', `${signal} received but errors trying to shut down the server, check the logs for more information`);
      return false;
    }
    await this.close();
    return true;
  }

  /** The final save of a shutdown; false if it failed and FORCE was not given. */
  private prepareForShutdown(options: ShutdownOptions): boolean {
    const persistence = this.persistence;
    if (persistence.bgsaveInProgress) {
      this.log('warning', 'There is a background save in progress. Stopping it!');
      persistence.abortBgsaveNow();
    }
    if ((persistence.hasSavePoints && !options.noSave) || options.save) {
      this.log('notice', 'Saving the final RDB snapshot before exiting.');
      this.supervisor?.notify('STATUS=Saving the final RDB snapshot\n');
      if (!persistence.saveNow()) {
        if (!options.force) {
          this.log('warning', "Error trying to save the DB, can't exit.");
          this.supervisor?.notify("STATUS=Error trying to save the DB, can't exit.\n");
          return false;
        }
        this.log('warning', 'Error trying to save the DB. Exit anyway.');
      }
    }
    return true;
  }

  log(level: LogLevel, message: string): void {
    this.logger.log(level, message);
  }

  /**
   * One warning line naming the parameters that the configuration set and that have no
   * effect in lapse (io-threads, disable-thp, ...), so that nobody believes they work.
   */
  private warnNoEffect(): void {
    const names = PARAMS.filter((p) => p.noEffect !== undefined && this.config.setAtStartup.has(p.aliasOf ?? p.name)).map((p) => p.name);
    if (names.length === 0) return;
    this.log('warning', `WARNING: these parameters have no effect in lapse and are only stored: ${names.join(', ')}`);
  }

  /**
   * As Redis once its listeners are up: its logo when logging to a terminal (or with
   * always-show-logo), otherwise one line with the mode and port. lapse's logo is its own.
   */
  private logStartup(): void {
    const port = this.port || this.tlsPort;
    const logger = this.logger;
    if (logger instanceof LineLogger && (this.config.bool('always-show-logo') || logger.interactive)) {
      logger.raw('notice', startupBanner(VERSION, port, process.pid));
    } else {
      this.log('notice', `Running mode=standalone, port=${port}.`);
    }
  }

  /**
   * CONFIG RESETSTAT: the counters of INFO stats, errorstats and commandstats. As in
   * Redis, the memory peak is kept.
   */
  resetStats(): void {
    const fresh = newStats();
    fresh.peakMemory = this.stats.peakMemory;
    Object.assign(this.stats, fresh);
    this.opsRate.reset();
    this.inputRate.reset();
    this.outputRate.reset();
    this.keyspace.stats.expiredKeys = 0;
    this.keyspace.stats.evictedKeys = 0;
    this.keyspace.stats.keyspaceHits = 0;
    this.keyspace.stats.keyspaceMisses = 0;
    this.keyspace.expiryLag.reset();
    for (const cmd of this.commands.commands()) {
      for (const spec of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
        spec.calls = spec.usec = spec.rejectedCalls = spec.failedCalls = 0;
      }
    }
  }

  /** A connection ended (by either side). */
  clientClosed(connection: Connection): void {
    this.connections.delete(connection);
    // Its transaction, watched keys and subscriptions go with it.
    connection.client.multi = null;
    this.watches.unwatchAll(connection.client);
    this.pubsub.removeClient(connection.client);
  }

  /**
   * A connection starts running the commands of one read. Keys that came due since the
   * last batch are reclaimed first (within the wheels' share of the time), so a pause of
   * the event loop (a garbage collection, a long turn of I/O) is made up before the next
   * commands run rather than after them: what a client sees, INFO's
   * expired_keys_past_deadline included, is the wheel caught up. Their `expired` events
   * are queued like every other message of the batch. Then pub/sub messages for this
   * connection's client go in line with its replies, messages for others are queued
   * until endBatch.
   */
  beginBatch(connection: Connection): void {
    this.inBatch = true;
    this.keyspace.expireDue(this.clock.now());
    this.pubsub.current = connection.client;
  }

  /**
   * The batch is over: keys due by its last command's time are reclaimed (their
   * `expired` events are queued with the batch's other messages), then every receiver
   * gets what it was sent during the batch, in one write.
   */
  endBatch(): void {
    this.pubsub.current = null;
    this.keyspace.expireDue();
    this.inBatch = false;
    if (this.pushPending.length !== 0) this.flushPushes();
  }

  /**
   * A connection has pub/sub messages queued. Outside any batch (expired keys reclaimed
   * by the timer wheel), they are written on the next turn of the event loop, so a
   * wheel batch costs one write per receiver too.
   */
  pushQueued(connection: Connection): void {
    this.pushPending.push(connection);
    if (this.inBatch || this.pushFlushScheduled) return;
    this.pushFlushScheduled = true;
    setImmediate(() => {
      this.pushFlushScheduled = false;
      if (!this.inBatch) this.flushPushes();
    });
  }

  private flushPushes(): void {
    const pending = this.pushPending;
    this.pushPending = [];
    for (const c of pending) c.flushPushes();
  }

  private listenOne(host: string, port: number, secure: boolean): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      let srv: net.Server;
      if (secure) {
        const tlsServer = tls.createServer(this.tls!.options, (socket) => this.acceptTls(socket));
        // A failed handshake (no client certificate when one is required, a plain-text
        // client): the connection never reaches the server, as in Redis.
        tlsServer.on('tlsClientError', (e, socket) => {
          this.log('verbose', `Error accepting a client connection: ${e.message}`);
          socket.destroy();
        });
        this.tlsSessions.attach(tlsServer, () => this.config.bool('tls-session-caching'));
        this.tlsListeners.push(tlsServer);
        srv = tlsServer;
      } else {
        // Paused: an accepted connection is re-wrapped to read into the shared buffer
        // before anything is read (src/server/shared-read.ts).
        srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
      }
      srv.once('error', reject);
      srv.listen({ host, port, backlog: this.config.number('tcp-backlog'), ipv6Only: host.includes(':') }, () => {
        srv.off('error', reject);
        srv.on('error', (e) => this.log('warning', `Listener error: ${e.message}`));
        this.listeners.push(srv);
        const a = srv.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /**
   * A TLS client whose handshake is done. With tls-auth-clients yes it must have sent a
   * valid certificate; with optional, a certificate it sent must be valid (OpenSSL's
   * SSL_VERIFY_PEER, with or without FAIL_IF_NO_PEER_CERT, as Redis sets it).
   */
  private acceptTls(socket: tls.TLSSocket): void {
    const auth = this.tls?.clientAuth ?? 'no';
    if (auth !== 'no' && !socket.authorized) {
      const cert = socket.getPeerCertificate();
      const presented = cert !== null && Object.keys(cert).length > 0;
      if (presented || auth === 'yes') {
        this.log('verbose', `Error accepting a client connection: ${String(socket.authorizationError ?? 'no certificate')}`);
        refuseTls(socket);
        return;
      }
    }
    this.accept(socket);
  }

  /**
   * CONFIG SET of TLS parameters while TLS is in use: the new settings must work, or
   * nothing changes (Redis's applyTlsCfg). They then apply to new connections.
   */
  private validateTls(pending: ReadonlyMap<string, ParamValue>): { name: string; reason: string } | null {
    if (this.tls === null) return null;
    const changed = [...pending.keys()].find((name) => name.startsWith('tls-'));
    if (changed === undefined) return null;
    try {
      this.pendingTls = tlsSettings((name) => (pending.has(name) ? pending.get(name)! : this.config.get(name)));
      return null;
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      this.log('warning', e.message);
      return { name: changed, reason: 'Unable to update TLS configuration. Check server logs.' };
    }
  }

  private async closeListeners(): Promise<void> {
    this.tlsListeners.length = 0;
    const all = this.listeners.splice(0);
    await Promise.all(all.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.number('maxclients')) {
      this.stats.rejectedConnections++;
      // As Redis: send the error and close. Destroying once it is flushed matters: an
      // ended socket whose client sent data is never read, so it would never see the
      // client's FIN and would stay open (keeping close() waiting) for ever.
      socket.on('error', () => socket.destroy());
      socket.end('-ERR max number of clients reached\r\n', () => socket.destroy());
      return;
    }
    if (protectedModeRefuses(this.config.bool('protected-mode'), this.acl.defaultUser.nopass, socket.remoteAddress)) {
      this.stats.rejectedConnections++;
      Client.skipId();
      socket.on('error', () => socket.destroy());
      socket.end(PROTECTED_MODE_DENIED, () => socket.destroy());
      return;
    }
    // Counted once accepted: Redis leaves rejected connections out of total_connections_received.
    this.stats.totalConnectionsReceived++;
    const connection = new Connection(this, socket);
    this.connections.add(connection);
  }

  /**
   * Redis's serverCron at its default 10 Hz: samples the instantaneous rates and the
   * memory peak each tick, and gives memory its turn (eviction while no command comes,
   * the clients' buffers, the Reclaimer: memory.ts); once a second closes clients idle longer than `timeout`,
   * except, as Redis, clients in pub/sub mode (they wait for messages by design).
   */
  private startCron(): void {
    if (this.cron) return;
    this.cron = setInterval(() => this.cronTick(), 1000 / this.cronHz);
    this.cron.unref();
  }

  private cronTick(): void {
    const stats = this.stats;
    const now = Date.now();
    stats.instantaneousOpsPerSec = this.opsRate.sample(stats.totalCommandsProcessed, now);
    stats.instantaneousInputKbps = this.inputRate.sample(stats.netInputBytes, now) / 1024;
    stats.instantaneousOutputKbps = this.outputRate.sample(stats.netOutputBytes, now) / 1024;
    this.memory.cron(stats.totalCommandsProcessed);
    const used = this.memory.used();
    if (used > stats.peakMemory) stats.peakMemory = used;
    this.persistence.cron();
    if (++this.cronTicks % this.cronHz !== 0) return;
    const timeout = this.config.number('timeout');
    if (timeout <= 0) return;
    for (const c of [...this.connections]) {
      if (c.client.subscriptions === null && now - c.client.lastInteraction > timeout * 1000) {
        this.log('verbose', 'Closing idle client');
        c.destroy();
      }
    }
  }

  private applyConfig(name: string, value: ParamValue): void {
    if (name === 'proto-max-bulk-len') this.parserLimits.maxBulkLength = Number(value);
    else if (name === 'client-query-buffer-limit') this.parserLimits.maxQueryBuffer = Number(value);
    else if (name === 'requirepass') this.acl.setRequirepass(value as string);
    else if (name === 'acl-pubsub-default') this.acl.allChannelsByDefault = value === 'allchannels';
    else if (name.startsWith('tls-') && this.pendingTls !== null) this.applyTls();
    else if (name === 'hash-max-listpack-entries') this.keyspace.hashEncoding.maxCompactEntries = Number(value);
    else if (name === 'hash-max-listpack-value') this.keyspace.hashEncoding.maxCompactValue = Number(value);
    else if (name === 'save') this.persistence.applySavePoints();
    else if (name === 'notify-keyspace-events') this.notifier.flags = value as number;
    else if (name === 'client-output-buffer-limit') this.outputLimits = outputBufferLimitsOf(value as string);
    else if (MEMORY_PARAMS.has(name)) this.memory.applyConfig(name);
    else if (name === 'hz') this.setCronHz(value as number);
  }

  /** CONFIG SET hz: the cron runs at the new frequency from now on. */
  private setCronHz(hz: number): void {
    this.cronHz = hz;
    if (this.cron === null) return;
    clearInterval(this.cron);
    this.cron = null;
    this.cronTicks = 0;
    this.startCron();
  }

  /** Gives the TLS listeners the settings validateTls checked (new connections get them). */
  private applyTls(): void {
    this.tls = this.pendingTls;
    this.pendingTls = null;
    const { requestCert, rejectUnauthorized } = this.tls!.options;
    for (const l of this.tlsListeners) {
      l.setSecureContext(this.tls!.options);
      // Not part of the secure context: each new connection reads them from the server.
      Object.assign(l, { requestCert: requestCert === true, rejectUnauthorized: rejectUnauthorized !== false });
    }
    this.tlsSessions.clear();
  }

  /**
   * Counts an error reply for INFO, as Redis's afterErrorReply: the code is the text
   * before the first space if that space is within the first 31 characters, else ERR.
   */
  private countError(text: string): void {
    this.stats.totalErrorReplies++;
    const space = text.indexOf(' ');
    const code = space >= 0 && space < 31 ? text.slice(0, space) : 'ERR';
    this.stats.errorCodes.set(code, (this.stats.errorCodes.get(code) ?? 0) + 1);
  }
}

export function createServer(options: ServerOptions = {}): LapseServer {
  return new LapseServer(options, processMemoryBefore(options.ownsProcess === true));
}

function newStats(): ServerStats {
  return {
    totalCommandsProcessed: 0,
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    totalErrorReplies: 0,
    totalReadsProcessed: 0,
    totalWritesProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorCodes: new Map(),
    instantaneousOpsPerSec: 0,
    instantaneousInputKbps: 0,
    instantaneousOutputKbps: 0,
    peakMemory: 0,
  };
}

/** Redis's default hz: how often the cron samples rates and memory (the hz parameter). */
const DEFAULT_HZ = 10;
/** Samples averaged by an instantaneous metric (Redis's STATS_METRIC_SAMPLES). */
const RATE_SAMPLES = 16;

/**
 * One of Redis's instantaneous metrics: the rate of a growing counter per second,
 * averaged over the last RATE_SAMPLES cron ticks.
 */
class RateSampler {
  private readonly samples = new Float64Array(RATE_SAMPLES);
  private index = 0;
  private lastValue = 0;
  private lastTime = 0;

  /** Records the counter's value at time now (ms); returns the current mean rate. */
  sample(value: number, now: number): number {
    if (this.lastTime > 0) {
      const elapsed = now - this.lastTime;
      this.samples[this.index] = elapsed > 0 ? ((value - this.lastValue) * 1000) / elapsed : 0;
      this.index = (this.index + 1) % RATE_SAMPLES;
    }
    this.lastValue = value;
    this.lastTime = now;
    let sum = 0;
    for (let i = 0; i < RATE_SAMPLES; i++) sum += this.samples[i]!;
    return sum / RATE_SAMPLES;
  }

  /** The counter went back to zero (CONFIG RESETSTAT). */
  reset(): void {
    this.samples.fill(0);
    this.index = 0;
    this.lastValue = 0;
  }
}

/** Parameters the memory manager follows. */
const MEMORY_PARAMS = new Set([
  'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time',
]);

function formatOption(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.join(' ');
  return String(value);
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
