import net from 'node:net';
import crypto from 'node:crypto';
import path from 'node:path';
import { Config, ConfigFileError, loadConfigText } from '../config/config.js';
import { WriteStream, deletionArgv } from '../replication/write-stream.js';
import { Primary } from '../replication/primary.js';
import { PrimaryLink } from '../replication/replica.js';
import { newPrimaryClient } from '../commands/replication-commands.js';
import { execute } from '../commands/dispatch.js';
import { EXPIRED_HIDDEN, EXPIRED_KEPT } from '../keyspace/database.js';
import { ERR_BAD_DIRECTIVE } from '../config/config-errors.js';
import { PARAMS, type ParamValue } from '../config/params.js';
import { outputBufferLimitsOf, type OutputBufferLimits } from '../config/output-limits.js';
import { ClientIds, type Client, type ServerInfo, type ServerStats, type ShutdownOptions } from '../commands/context.js';
import { createCommandTable } from '../commands/command-groups.js';
import type { CommandTable } from '../commands/table.js';
import { BlockingRegistry } from '../commands/blocking.js';
import { ClientPause, PAUSE_OFF } from '../commands/client-pause.js';
import { WatchRegistry } from '../commands/watch.js';
import { Tracking, type ServingSaved } from '../commands/tracking.js';
import { ERR_SHUTDOWN_FAILED, maxclientsOverOpenFiles } from '../commands/errors.js';
import { SystemClock, type Clock } from '../keyspace/clock.js';
import { Keyspace } from '../keyspace/keyspace.js';
import { newArgSpans, type ParserLimits } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/writer.js';
import { PubSubHub } from '../pubsub/hub.js';
import { KeyspaceNotifier } from '../pubsub/notifications.js';
import { Persistence } from '../persistence/save-scheduler.js';
import type { SnapshotTuning } from '../persistence/snapshot.js';
import { Acl } from '../acl/acl.js';
import { splitArgs } from '../util/split-args.js';
import { REDIS_COMPAT_VERSION, VERSION } from '../version.js';
import { ScriptEngine } from '../scripting/script-engine.js';
import { FunctionEngine } from '../scripting/function-engine.js';
import { Connection, type ConnectionHost } from './connection.js';
import { LineLogger, silentLogger, type LogLevel, type Logger } from './logger.js';
import { SyslogSink } from './syslog.js';
import { startupBanner } from './banner.js';
import { Memory, processMemoryBefore, type ProcessMemory } from './memory.js';
import { adjustOpenFilesLimit } from './open-files.js';
import { newReadBuffer } from './shared-read.js';
import { ListenError, Listeners, type ListenAddress, type ListenerHost } from './listeners.js';
import { PROTECTED_MODE_DENIED, protectedModeRefuses, refuseConnection } from './protected-mode.js';
import { Cron } from './cron.js';
import { InstantaneousRates } from './rates.js';
import { countErrorReply, newStats } from './stats.js';
import { CommandTimer } from '../commands/command-timing.js';
import { SlowLog } from '../commands/slowlog.js';
import { LatencyMonitor } from '../commands/latency-monitor.js';
import { applyConfigChange, type ConfigSubjects } from './config-effects.js';
import { finalSave, signalShutdownOptions, type ShutdownHost, type Supervisor } from './shutdown.js';
import { MetricsEndpoint, type MetricsHost } from './metrics-endpoint.js';
import { GcPauses } from './gc-pauses.js';
import { infoToPrometheus } from './info-metrics.js';
import { infoText } from '../commands/info-sections.js';
import { bucketOf, upperBoundOf } from '../keyspace/expiry/lag-window.js';

/**
 * The composition root: a LapseServer builds and wires every part of one server (its
 * configuration, keyspace, command table, users, pub/sub, persistence, memory manager,
 * listeners, cron), owns all of its state, and is the host each part calls back
 * (ConnectionHost, ListenerHost, ConfigSubjects, ShutdownHost). The parts live in files
 * of their own: listeners.ts (TCP/TLS), protected-mode.ts, cron.ts, rates.ts, stats.ts,
 * config-effects.ts (what a parameter change does), shutdown.ts.
 */

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

const EMBED_OPTIONS = new Set([
  'clock', 'logger', 'configText', 'configFile', 'persistence', 'snapshotTuning', 'user', 'supervisor', 'ownsProcess',
]);

function formatOption(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.join(' ');
  return String(value);
}

/** Raised when the configuration cannot start a server (ACL users, TLS). */
export class StartupError extends Error {}

/**
 * A lapse server: the keyspace, the command table, the configuration, and TCP
 * listeners with one Connection per client. Embeddable: createServer(options),
 * await listen(), await close().
 */
export class LapseServer implements ConnectionHost, ListenerHost, ConfigSubjects, ShutdownHost, MetricsHost {
  readonly config: Config;
  readonly keyspace: Keyspace;
  readonly commands: CommandTable;
  readonly reply = new ReplyWriter();
  readonly watches = new WatchRegistry();
  /** Client-side caching (CLIENT TRACKING): the tracking table and BCAST prefixes. */
  readonly tracking: Tracking = new Tracking(this);
  readonly blocking = new BlockingRegistry(
    (index) => this.keyspace.dbs[index]!,
    () => this.keyspace.tick(),
  );
  /** CLIENT PAUSE: while paused the dataset is held constant (no expiry, no eviction). */
  readonly pause = new ClientPause((on) => {
    this.keyspace.freeze(on);
    if (!on) this.replication.pauseEnded();
  });
  readonly pubsub = new PubSubHub();
  readonly clientIds = new ClientIds();
  readonly notifier = new KeyspaceNotifier(this.pubsub);
  /** Where this server's plain TCP connections read (shared-read.ts). */
  readonly readBuffer = newReadBuffer();
  readonly argSpans = newArgSpans();
  /** Connections with pub/sub messages queued, written at the end of the batch (or soon). */
  private pushPending: Connection[] = [];
  private pushFlushScheduled = false;
  /** Connections holding replies to write at the end of this turn (writeLater). */
  private readonly writePending: Connection[] = [];
  private writeScheduled = false;
  private readonly writeDeferred = (): void => {
    this.writeScheduled = false;
    // One array for the server's life: a connection added meanwhile is written too.
    const pending = this.writePending;
    for (let i = 0; i < pending.length; i++) pending[i]!.writeDeferred();
    pending.length = 0;
  };
  private inBatch = false;
  readonly clock: Clock;
  readonly stats: ServerStats = newStats();
  readonly info: ServerInfo;
  readonly parserLimits: ParserLimits;
  /** client-output-buffer-limit, by class (connections check it after each write). */
  outputLimits: OutputBufferLimits;
  private readonly logger: Logger;
  private readonly listeners = new Listeners(this);
  /** The Prometheus endpoint and the GC pauses it reports, while metrics-port is set (listen()). */
  private metrics: MetricsEndpoint | null = null;
  private gcPauses: GcPauses | null = null;
  readonly acl: Acl;
  private readonly connections = new Set<Connection>();
  /** The connections' clients by id (CLIENT TRACKING REDIRECT looks them up). */
  private readonly clientsById = new Map<number, Client>();
  private readonly cron: Cron;
  private readonly rates = new InstantaneousRates();
  private closing: Promise<void> | null = null;
  private shutdownHandler: (() => void) | null = null;
  readonly supervisor: Supervisor | null;
  readonly persistence: Persistence;
  /** used_memory, maxmemory and eviction. */
  readonly memory: Memory;
  /** Whether listen() loads the snapshot first (see ServerOptions.persistence). */
  private readonly loadAtStart: boolean;
  /** EVAL's Lua engine and script cache; its Lua state is made at the first script. */
  readonly scripts: ScriptEngine;
  /** What the writes look like to replicas (replication/write-stream.ts). */
  readonly writeStream = new WriteStream();
  /** The primary side of replication (replication/primary.ts). */
  readonly replication: Primary;
  /** The replica side: the link to the primary this server follows, if any (replication/replica.ts). */
  readonly primaryLink: PrimaryLink;
  /** Clients in MONITOR mode. */
  readonly monitors = new Set<Client>();
  /** Commands' durations, the slow log and the latency monitor (commands/command-timing.ts). */
  readonly commandTimer: CommandTimer;
  /** The client the primary's stream runs on while this server is a replica. */
  private primaryClient: Client | null = null;
  scriptDenyDisabled = false;
  cronPaused = false;
  /** The client scripts run their commands on (made at the first script run). */
  scriptClient: Client | null = null;
  /** FUNCTION's libraries and their Lua state (a second one, as Redis has), made at the first library. */
  readonly functions: FunctionEngine;

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
    if (options.clock !== undefined) {
      this.clock = options.clock;
    } else {
      const clock = new SystemClock();
      // A timer wheel's continuation runs after the replies this turn holds (writeLater).
      clock.beforeDeferred = this.writeDeferred;
      this.clock = clock;
    }
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
    this.commandTimer = new CommandTimer(this.clock, new SlowLog(), new LatencyMonitor());
    // Serving a blocked client from a key: its command's statistics, and it runs as the
    // current client so that invalidations of its own writes follow its reply.
    const timer = this.commandTimer;
    const servings: ServingSaved[] = [];
    this.blocking.hooks = {
      servingStarts: (c) => {
        servings.push(this.tracking.startServing(c as Client));
        return timer.startNested();
      },
      served: (c, start, failed) => {
        timer.served(c as Client, timer.elapsedUs(start), failed);
        this.tracking.endServing(c as Client, servings.pop()!);
      },
    };
    // EVAL's engine: made now (cheap), its Lua state at the first script; Memory leaves its WebAssembly memory out.
    this.scripts = new ScriptEngine({
      log: (level, message) => this.log(level, message),
      busyReplyThresholdMs: () => this.config.number('busy-reply-threshold'),
      libraries: [],
      version: REDIS_COMPAT_VERSION,
    });
    this.functions = new FunctionEngine({
      log: (level, message) => this.log(level, message),
      busyReplyThresholdMs: () => this.config.number('busy-reply-threshold'),
      libraries: [],
      version: REDIS_COMPAT_VERSION,
    });
    // WATCH: every change to a key and every flush reaches the watch registry.
    // And client-side caching: the readers of a changed key are told (one test while nobody tracks).
    this.keyspace.listener.keyModified = (db, key, unattributed) => {
      this.watches.keyModified(db, key);
      if (this.tracking.hasEntries) this.tracking.keyModified(key, unattributed === true);
    };
    this.keyspace.listener.databaseFlushed = (db, removed) => this.watches.databaseFlushed(db, removed);
    this.keyspace.listener.flushSignalled = () => this.tracking.flushed();
    // BCAST invalidations go once the turn of the event loop is over (Redis's beforeSleep).
    // Tracking calls this once per broadcast due (its broadcastDue), so one setImmediate each.
    this.tracking.onBroadcastDue = () => {
      setImmediate(() => {
        this.tracking.broadcast();
        if (!this.inBatch && this.pushPending.length !== 0) this.flushPushes();
      });
    };
    this.keyspace.listener.keyCreated = (db, key) => this.blocking.signal(db, key);
    // Replicas delete what expires or is evicted here when told to (Redis's propagateDeletion).
    this.keyspace.listener.keyExpired = (db, key) => {
      if (this.writeStream.active) this.writeStream.propagateAlone(db.index, deletionArgv(this.config.bool('lazyfree-lazy-expire'), key));
    };
    // Every consumer of an expired key's name, above and below: events, WATCH, tracking, replicas.
    this.keyspace.listener.expiredKeyWanted = () =>
      this.notifier.wants('x') || this.watches.size > 0 || this.tracking.hasEntries || this.writeStream.active;
    this.keyspace.listener.keyEvicted = (db, key) => {
      if (this.writeStream.active) this.writeStream.propagateAlone(db.index, deletionArgv(this.config.bool('lazyfree-lazy-eviction'), key));
    };
    this.keyspace.listener.databasesSwapped = (a, b) => {
      this.watches.databasesSwapped(a, b, this.keyspace.now);
      // Clients blocked on keys of either index are served if those keys now exist (Redis's scanDatabaseForReadyKeys).
      this.blocking.scanDatabase(a);
      this.blocking.scanDatabase(b);
    };
    this.memory = new Memory(this.keyspace, this.config, this.clock, (level, message) => this.log(level, message), {
      ownsProcess: options.ownsProcess === true,
      before,
      clientBuffers: () => this.clientBuffers(),
      uncounted: () => this.scripts.wasmMemory() + this.functions.wasmMemory(),
    });
    const latency = this.commandTimer.latency;
    this.memory.onEvictionCycle = (ms) => latency.addIfNeeded('eviction-cycle', ms);
    this.keyspace.listener.expireCycle = (ms) => latency.addIfNeeded('expire-cycle', ms);
    this.persistence = new Persistence(
      this.keyspace,
      this.config,
      (level, message) => this.log(level, message),
      () => this.memory.used(),
      options.snapshotTuning,
    );
    const functions = this.functions;
    this.persistence.libraries = {
      codes: () => functions.codes(),
      load(code, replace) {
        const created = functions.create(code, replace, 0);
        // Logged as Redis logs rdbFunctionLoad's error: without the reply's "ERR ".
        return 'error' in created ? created.error.replace(/^ERR /, '') : null;
      },
      clear: () => functions.flush(),
    };
    this.replication = new Primary({
      config: this.config,
      persistence: this.persistence,
      stream: this.writeStream,
      log: (level, message) => this.log(level, message),
      replicaOutputLimit: () => this.outputLimits.replica,
      clientsPaused: () => this.pause.type !== PAUSE_OFF,
    });
    this.persistence.replicationInfo = () => this.replication.saveInfo();
    this.primaryLink = new PrimaryLink({
      config: this.config,
      primary: this.replication,
      log: (level, message) => this.log(level, message),
      listeningPort: () => this.listeners.port || this.listeners.tlsPort,
      loadFromPrimary: (source) => this.persistence.loadFromPrimary(source),
      datasetEmpty: () => this.keyspace.totalKeys === 0,
      resetPrimaryClient: (db) => {
        // A client the previous link's pause parked leaves with that link.
        if (this.primaryClient !== null) this.pause.forget(this.primaryClient);
        this.primaryClient = this.newPrimaryClient(db);
      },
      applyFromPrimary: (argv) => this.applyFromPrimary(argv),
      linkChanged: () => {
        // The keyspace is a replica's from the first REPLICAOF until REPLICAOF NO ONE.
        this.keyspace.setReplicaExpiry(this.primaryLink.isReplica);
      },
    });
    this.persistence.onBackgroundSaveDone = (target, result) => this.replication.saveDone(target, result);
    this.persistence.onSaveTurn = (ms) => latency.addIfNeeded('bgsave-turn', ms);
    this.loadAtStart = redisDefaults || this.persistence.hasSavePoints;
    this.parserLimits = {
      maxBulkLength: this.config.number('proto-max-bulk-len'),
      maxQueryBuffer: this.config.number('client-query-buffer-limit'),
    };
    this.outputLimits = outputBufferLimitsOf(this.config.string('client-output-buffer-limit'));
    this.cron = new Cron(this.config.number('hz'), (secondElapsed) => this.cronTick(secondElapsed));
    this.config.onChange((name, value) => applyConfigChange(this, name, value));
    this.config.onValidate((pending) => this.listeners.validateTls(pending));
    this.config.onValidate((pending) => this.validateMaxclients(pending));
    for (const name of [
      'hash-max-listpack-entries', 'hash-max-listpack-value', 'set-max-intset-entries', 'zset-max-listpack-entries', 'zset-max-listpack-value',
      'list-max-listpack-size', 'list-compress-depth',
      'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold', 'latency-tracking', 'command-timing',
      'tracking-table-max-keys',
    ]) {
      applyConfigChange(this, name, this.config.get(name));
    }
    this.notifier.flags = this.config.number('notify-keyspace-events');
    this.keyspace.listener.event = (cls, event, key, db) => this.notifier.event(cls, event, key, db);
    this.reply.onError = (text) => countErrorReply(this.stats, text);
    const startTime = Date.now();
    const cron = this.cron;
    this.info = {
      version: VERSION,
      runId: crypto.randomBytes(20).toString('hex'),
      startTime,
      pid: process.pid,
      supervised: options.supervisor?.mode ?? 'no',
      configFile: options.configFile ?? '',
      executable: process.argv[1] ? path.resolve(process.argv[1]) : process.execPath,
      startupMemory: this.memory.startup,
      get hz() {
        return cron.hz;
      },
      // As Redis's INFO tcp_port: the TLS port when there is no TCP listener.
      tcpPort: () => this.listeners.port || this.listeners.tlsPort,
    };
    this.stats.peakMemory = this.info.startupMemory;
  }

  get authRequired(): boolean {
    return this.acl.defaultRequiresAuth;
  }

  /**
   * Loads the snapshot if the server should (see ServerOptions.persistence), then listens
   * (listeners.ts: every `bind` address at `port`, and `tls-port` with TLS), then starts
   * the memory manager and the cron. Resolves with the first address.
   */
  async listen(): Promise<ListenAddress> {
    // The Lua engines are not started here: each creates its state the first time a
    // script, function or snapshot library needs it (scripting/script-engine.ts).
    // The dataset is complete before the first client can connect (a corrupt file
    // throws here, naming the offset, and nothing listens).
    if (this.loadAtStart && !this.listeners.listening) this.persistence.load();
    this.listeners.configureTls();
    this.fitMaxclientsToOpenFiles();
    const first = await this.listeners.open();
    await this.openMetrics();
    this.memory.start();
    this.cron.start();
    this.logStartup();
    this.log('notice', `Ready to accept connections on ${this.listeners.describe().join(', ')}`);
    // replicaof in the configuration: follow that primary from the start.
    const replicaof = this.config.string('replicaof');
    if (replicaof !== '' && !this.primaryLink.isReplica) {
      const [host, port] = replicaof.split(' ');
      this.primaryLink.follow(host!, Number(port));
    }
    return first;
  }

  /** metrics-port set: the Prometheus endpoint listens (on the bind addresses), and GC pauses are observed. */
  private async openMetrics(): Promise<void> {
    const port = this.config.number('metrics-port');
    if (port === 0 || this.metrics !== null) return;
    const endpoint = new MetricsEndpoint(this);
    try {
      await endpoint.open(port);
    } catch (e) {
      await this.listeners.close();
      throw e;
    }
    this.metrics = endpoint;
    this.gcPauses = new GcPauses();
    this.gcPauses.start();
    this.log('notice', `Metrics (Prometheus) at ${endpoint.describe().map((a) => `http://${a}/metrics`).join(', ')}`);
  }

  /** The metrics endpoint's port (0: none). */
  get metricsPort(): number {
    return this.metrics?.port ?? 0;
  }

  /** The Prometheus text: INFO's fields (info-metrics.ts), the expiry lag histogram, GC pauses. */
  metricsText(): string {
    const lag = this.keyspace.expiryLag.cumulative(LAG_BOUNDS_MS);
    return infoToPrometheus(infoText(this, ['all']), {
      reclaimLag: { boundsSeconds: LAG_BOUNDS_SECONDS, atMost: lag.atMost, count: lag.count, sumSeconds: lag.sumMs / 1000 },
      gc: this.gcPauses?.stats,
    });
  }

  private newPrimaryClient(db: number): Client {
    const link = this.primaryLink;
    return newPrimaryClient(this, db, {
      address: `${link.host}:${link.port}`,
      close: () => link.disconnect(),
      // CLIENT PAUSE is over: the stream goes on from the parked command, on a later turn.
      unblocked: () => setImmediate(() => link.resumeParked()),
    });
  }

  /**
   * One command of the primary's stream, run as the primary's client: keys past their
   * deadline still exist for it (the primary's DEL removes them), its replies are dropped.
   * false if CLIENT PAUSE parked it (the link holds the stream until the pause ends).
   */
  private applyFromPrimary(argv: string[]): boolean {
    // A partial resync after REPLICAOF from a primary: the new primary's stream starts with a SELECT.
    const c = (this.primaryClient ??= this.newPrimaryClient(0));
    // Run again after a pause: the link keeps the parked command itself.
    c.parkedCommand = null;
    const reply = this.reply;
    const mark = reply.mark();
    const protocol = reply.protocol;
    reply.protocol = c.protocol;
    this.keyspace.expiredKeys = EXPIRED_KEPT;
    try {
      execute(c, argv);
      this.commandTimer.close();
    } finally {
      this.keyspace.expiredKeys = EXPIRED_HIDDEN;
      reply.rollback(mark);
      reply.protocol = protocol;
    }
    return c.parkedCommand === null;
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

  /** Stops listening, closes every client, stops timers. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.cron.stop();
      this.commandTimer.latency.close();
      // A suspended script is not resumed again (SHUTDOWN NOSAVE during it: its caller gets nothing, as in Redis).
      this.scripts.close();
      this.blocking.close();
      this.pause.close();
      for (const c of [...this.connections]) c.destroy();
      await this.listeners.close();
      await this.metrics?.close();
      this.gcPauses?.stop();
      await this.persistence.abortBgsave();
      this.primaryLink.close();
      this.replication.close();
      this.keyspace.close();
      this.memory.close();
      this.scripts.close();
      this.functions.close();
    })();
    return this.closing;
  }

  /** Called by SHUTDOWN; the CLI sets it to exit the process after close(). */
  onShutdown(handler: () => void): void {
    this.shutdownHandler = handler;
  }

  *clients(): Iterable<Client> {
    for (const c of this.connections) yield c.client;
    // A replica's primary is one of its clients (CLIENT LIST flag M, CLIENT KILL TYPE master).
    if (this.primaryClient !== null && this.primaryLink.linkUp) yield this.primaryClient;
  }

  get clientCount(): number {
    return this.connections.size;
  }

  clientById(id: number): Client | undefined {
    const primary = this.primaryClient;
    if (primary !== null && primary.id === id && this.primaryLink.linkUp) return primary;
    return this.clientsById.get(id);
  }

  /** Bytes in the clients' query and output buffers (used_memory counts them, as Redis does). */
  private clientBuffers(): number {
    let n = 0;
    for (const c of this.connections) n += c.queryBufferLength() + c.outputBufferLength();
    return n;
  }

  /**
   * SHUTDOWN (shutdown.ts: the final save). If that save fails the server refuses to
   * exit (and keeps serving) unless FORCE.
   */
  shutdown(options: ShutdownOptions): string | null {
    this.log('warning', 'User requested shutdown...');
    this.supervisor?.notify('STOPPING=1\n');
    if (!finalSave(this, options)) {
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
    if (!finalSave(this, signalShutdownOptions(this.config, signal))) {
      this.log('warning', `${signal} received but errors trying to shut down the server, check the logs for more information`);
      return false;
    }
    await this.close();
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
    const port = this.listeners.port || this.listeners.tlsPort;
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
    this.rates.reset();
    this.keyspace.stats.expiredKeys = 0;
    this.keyspace.stats.evictedKeys = 0;
    this.keyspace.stats.keyspaceHits = 0;
    this.keyspace.stats.keyspaceMisses = 0;
    this.keyspace.expiryLag.reset();
    for (const spec of this.commands.everySpec()) {
      spec.calls = spec.rejectedCalls = spec.failedCalls = spec.usec = 0;
      spec.histogram = null;
    }
  }

  /** A connection ended (by either side). */
  clientClosed(connection: Connection): void {
    this.connections.delete(connection);
    this.clientsById.delete(connection.client.id);
    // Tracking ends with the connection (its ids in the table go lazily, as in Redis).
    this.tracking.disable(connection.client);
    if (this.tracking.scriptCaller === connection.client) this.tracking.scriptCaller = null;
    if (connection.client.replica !== null) this.replication.removeReplica(connection.client.replica);
    this.monitors.delete(connection.client);
    // Its transaction, watched keys and subscriptions go with it.
    connection.client.multi = null;
    this.watches.unwatchAll(connection.client);
    this.pubsub.removeClient(connection.client);
    this.blocking.forget(connection.client);
    this.pause.forget(connection.client);
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
  beginBatch(connection: Connection, started?: number): void {
    this.inBatch = true;
    if (started === undefined) this.keyspace.expireDue(this.clock.now());
    // Nothing was due: the read's first command may start at the time already read
    // (the catch-up's work is never counted as a command's time).
    else if (!this.keyspace.expireDue(this.clock.wallAt(started))) this.commandTimer.offerStart(started);
    this.pubsub.current = connection.client;
    this.tracking.current = connection.client;
  }

  /**
   * The batch is over: keys due by its last command's time are reclaimed (their
   * `expired` events are queued with the batch's other messages), then every receiver
   * gets what it was sent during the batch, in one write.
   */
  endBatch(): void {
    this.commandTimer.close();
    this.pubsub.current = null;
    this.tracking.current = null;
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

  /**
   * A connection ran the commands of a read and holds their replies: they are written
   * once every connection readable this turn has run its commands (setImmediate runs
   * right after the event loop's I/O callbacks), as Redis writes replies before it
   * sleeps (beforeSleep). A client woken by the first reply of the turn is awake for
   * the others: a write that wakes a sleeping peer costs the writer the wake-up (perf,
   * redis-benchmark -P 16: 13% of lapse's time in the wake-up's unlock under
   * sock_def_readable, 4% of Redis's). Kernel time per GET went from 0.60-0.66 to
   * 0.37-0.44 us (Redis 0.34), GETs per second +15%.
   */
  writeLater(connection: Connection): void {
    this.writePending.push(connection);
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(this.writeDeferred);
  }

  private flushPushes(): void {
    const pending = this.pushPending;
    this.pushPending = [];
    for (const c of pending) c.flushPushes();
  }

  /**
   * A client connected (listeners.ts): refused while closing, over maxclients, or by
   * protected mode; otherwise it gets a Connection.
   */
  accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.number('maxclients')) {
      this.stats.rejectedConnections++;
      refuseConnection(socket, '-ERR max number of clients reached\r\n');
      return;
    }
    if (protectedModeRefuses(this.config.bool('protected-mode'), this.acl.defaultUser.nopass, socket.remoteAddress)) {
      this.stats.rejectedConnections++;
      this.clientIds.skip();
      refuseConnection(socket, PROTECTED_MODE_DENIED);
      return;
    }
    // Counted once accepted: Redis leaves rejected connections out of total_connections_received.
    this.stats.totalConnectionsReceived++;
    const connection = new Connection(this, socket);
    this.connections.add(connection);
    this.clientsById.set(connection.client.id, connection.client);
  }

  /**
   * Redis's databasesCron rehash: a millisecond for the first database, from where the
   * last tick stopped, whose keys' table is resizing (at most 16 looked at a tick).
   */
  private activeRehash(): void {
    const dbs = this.keyspace.dbs;
    for (let j = 0; j < Math.min(16, dbs.length); j++) {
      if (dbs[this.rehashDb]!.rehashFor(1, this.monotonicNow)) return;
      this.rehashDb = (this.rehashDb + 1) % dbs.length;
    }
  }
  /** The database activeRehash() looks at first. */
  private rehashDb = 0;
  private readonly monotonicNow = (): number => this.clock.monotonic();

  /**
   * Redis's serverCron at its default 10 Hz (cron.ts): samples the instantaneous rates
   * and the memory peak each tick, and gives memory its turn (eviction while no command
   * comes, the clients' buffers, the Reclaimer: memory.ts) and persistence its turn (save
   * points); once a second closes clients idle longer than `timeout`, except, as Redis,
   * clients in pub/sub mode (they wait for messages by design).
   */
  private cronTick(secondElapsed: boolean): void {
    // Redis's serverCron is a time event, which the event loop it runs while a script is
    // timed out (processEventsWhileBlocked) does not run: no save point, eviction or
    // client timeout changes anything under a suspended script.
    if (this.scripts.busy !== null || this.functions.busy !== null) return;
    if (this.cronPaused) return;
    const stats = this.stats;
    const now = Date.now();
    this.clock.resync();
    this.rates.sample(stats, now);
    this.memory.cron(stats.totalCommandsProcessed);
    const used = this.memory.used();
    if (used > stats.peakMemory) stats.peakMemory = used;
    this.persistence.cron();
    // Slab compaction and incremental rehash: memory comes back after deletes (issue 17).
    for (const db of this.keyspace.dbs) db.maintain();
    if (this.config.bool('activerehashing')) this.activeRehash();
    // tracking-table-max-keys holds while idle too (serverCron's trackingLimitUsedSlots).
    if (this.tracking.clientCount !== 0) this.tracking.limitUsedSlots();
    if (!secondElapsed) return;
    this.replication.cron();
    this.primaryLink.cron();
    const timeout = this.config.number('timeout');
    if (timeout <= 0) return;
    for (const c of [...this.connections]) {
      // As Redis's clientsCronHandleTimeout: subscribers and blocked clients wait as long as they like.
      if (c.client.subscriptions === null && !c.client.blocked && !c.client.isReplica && now - c.client.lastInteraction > timeout * 1000) {
        this.log('verbose', 'Closing idle client');
        c.destroy();
      }
    }
  }

  setOutputLimits(limits: OutputBufferLimits): void {
    this.outputLimits = limits;
  }

  applyPendingTls(): void {
    this.listeners.applyPendingTls();
  }

  setCronHz(hz: number): void {
    this.cron.setHz(hz);
  }
}

/**
 * The reclaim-lag histogram's bounds, ms: round values moved to the upper bound of the
 * lag window's bucket that holds them (exact below 64 ms; 100 -> 101, 1000 -> 1007), so
 * that each bucket's count is exact.
 */
const LAG_BOUNDS_MS: readonly number[] = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000].map((ms) =>
  upperBoundOf(bucketOf(ms)),
);
const LAG_BOUNDS_SECONDS: readonly number[] = LAG_BOUNDS_MS.map((ms) => ms / 1000);

export function createServer(options: ServerOptions = {}): LapseServer {
  return new LapseServer(options, processMemoryBefore(options.ownsProcess === true));
}
