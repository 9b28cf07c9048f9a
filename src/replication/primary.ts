import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Config } from '../config/config.js';
import { outputLimitReached, type OutputBufferLimit } from '../config/output-limits.js';
import type { Persistence, SaveTarget } from '../persistence/save-scheduler.js';
import type { BackgroundSaveResult, ReplicationSaveInfo, SnapshotSink } from '../persistence/snapshot.js';
import { ReplicationBacklog } from './backlog.js';
import type { WriteStream } from './write-stream.js';

/**
 * The primary side of replication, as Redis 7.0's replication.c does it for a master:
 * replicas attach with SYNC or PSYNC, get a full resynchronization (an RDB, then the
 * stream from the RDB's point on) or continue from the backlog (+CONTINUE), acknowledge
 * what they processed (REPLCONF ACK), are pinged through the stream and dropped when
 * they time out or fall too far behind.
 *
 * - The stream comes from the WriteStream (one consumer, subscribed while the backlog
 *   exists: from the first replica until repl-backlog-ttl after the last). Every byte
 *   is copied once into the backlog (offsets, PSYNC) and once into an output block that
 *   every replica shares: what one event-loop turn produced goes to each replica's
 *   socket in one write at the end of the turn (Redis writes replicas in beforeSleep).
 * - A full sync is the fork-less snapshot (persistence/snapshot.ts), started by
 *   Persistence like a BGSAVE (there is one background save at a time, as Redis has one
 *   child): to the replicas' sockets with the EOF-marker framing (repl-diskless-sync, for
 *   replicas with `capa eof`), else to the RDB file, sent afterwards as `$<length>`. The
 *   snapshot is the keyspace at its start, and the stream from that offset is held for
 *   the replica (shared chunks, counted against its output buffer limit) until the RDB
 *   has gone; a diskless replica gets it after its first REPLCONF ACK, as in Redis.
 */

/** A replica's connection as the primary writes to it (implemented by the server's Connection). */
export interface ReplicaSocket {
  /** Hands bytes to the socket as they are (the caller does not change them afterwards); false once it is full. */
  sendRaw(data: Buffer): boolean;
  /** Bytes handed over and not sent yet. */
  readonly unsentBytes: number;
  /** Resolves at the socket's next 'drain', or when it closes. */
  drained(): Promise<void>;
  readonly isClosed: boolean;
  /** Closes the connection now (what was not sent is dropped). */
  close(): void;
}

/** Redis's replstate of a replica (SLAVE_STATE_*), 'none' before SYNC. */
export type ReplicaState = 'none' | 'wait_bgsave_start' | 'wait_bgsave_end' | 'send_bulk' | 'online' | 'rdb_transmitted';

/** What REPLCONF told about a replica, and its replication state (a client with CLIENT_SLAVE). */
export class ReplicaLink {
  state: ReplicaState = 'none';
  /** REPLCONF listening-port (0: not told). */
  listeningPort = 0;
  /** REPLCONF ip-address, else null (the peer address is used). */
  announcedIp: string | null = null;
  capaEof = false;
  capaPsync2 = false;
  /** REPLCONF rdb-only 1: the RDB and nothing after it (redis-cli --rdb). */
  rdbOnly = false;
  /**
   * REPLCONF rdb-filter-only: what its RDB leaves out (Redis's SLAVE_REQ_RDB_EXCLUDE_DATA
   * and _FUNCTIONS); such an RDB always goes to the socket, never to the file.
   */
  excludeKeys = false;
  excludeFunctions = false;
  /** Attached with SYNC (no offsets, no ACKs: Redis's CLIENT_PRE_PSYNC). */
  preSync = false;
  ackOffset = 0;
  /** When the last ACK came (s). */
  ackTime = 0;
  /** The stream offset its RDB was taken at. */
  initialOffset = -1;
  socket: ReplicaSocket | null = null;
  /** Stream chunks held while its RDB is on the way (shared with other replicas, never changed). */
  held: Buffer[] = [];
  heldBytes = 0;
  /** A diskless replica: the held stream goes once its first ACK says it loaded the RDB. */
  streamOnAck = false;
  /** When a write of its diskless RDB could not be sent at once (s; 0: all sent). */
  lastPartialWrite = 0;
  /** When it entered wait_bgsave_start (s): repl-diskless-sync-delay counts from there. */
  waitingSince = 0;
  softLimitSince = 0;

  constructor(
    /** The peer's IP address, without port. */
    readonly peerIp: string,
    /** The client as CLIENT LIST shows it (for the output-limit log line). */
    readonly describe: () => string,
  ) {}

  get ip(): string {
    return this.announcedIp ?? this.peerIp;
  }

  /** Redis's replicationGetSlaveName. */
  get name(): string {
    const ip = this.ip;
    if (this.listeningPort === 0) return `${ip}:<unknown-replica-port>`;
    return ip.includes(':') ? `[${ip}]:${this.listeningPort}` : `${ip}:${this.listeningPort}`;
  }
}

export interface PrimaryHost {
  readonly config: Config;
  readonly persistence: Persistence;
  readonly stream: WriteStream;
  log(level: 'notice' | 'warning' | 'verbose', message: string): void;
  /** client-output-buffer-limit's replica class. */
  replicaOutputLimit(): OutputBufferLimit;
  /**
   * Clients are paused (CLIENT PAUSE): no REPLCONF GETACK goes out meanwhile, since it
   * would move the offset a failover waits on (Redis's beforeSleep); see pauseEnded().
   */
  clientsPaused(): boolean;
}

/** Redis's CONFIG_REPL_BACKLOG_MIN_SIZE: a smaller repl-backlog-size is raised to it. */
const BACKLOG_MIN_SIZE = 16 * 1024;
/** Bytes of RDB file read at a time for a disk-based sync. */
const FILE_CHUNK = 256 * 1024;
/** A replica's socket may hold this much of its RDB before the sender waits for it. */
const RDB_UNSENT_MAX = 4 * 1024 * 1024;
/** The output blocks the stream is copied into for delivery. */
const OUT_BLOCK = 64 * 1024;
const NO_REPLID = '0000000000000000000000000000000000000000';
const PING = ['PING'];
const GETACK = ['REPLCONF', 'GETACK', '*'];

interface AckWaiter {
  readonly offset: number;
  readonly replicas: number;
  readonly resolve: (acked: number) => void;
}

export class Primary {
  /** master_replid, master_replid2 and second_repl_offset (PSYNC2). */
  replid = randomReplid();
  replid2 = NO_REPLID;
  secondReplidOffset = -1;
  /** master_repl_offset: bytes of stream produced while a backlog existed. */
  offset = 0;
  backlog: ReplicationBacklog | null = null;
  /** Replicas that sent SYNC or PSYNC (Redis's server.slaves), in that order. */
  readonly replicas: ReplicaLink[] = [];
  /** INFO stats. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** total_net_repl_output_bytes. */
  outputBytes = 0;
  /** Online replicas within min-replicas-max-lag (Redis's repl_good_slaves_count). */
  goodReplicas = 0;
  private noReplicasSince = Math.floor(Date.now() / 1000);
  private unsubscribe: (() => void) | null = null;
  /** The stream bytes of this turn not yet delivered: full blocks, then out[outStart..outUsed). */
  private full: Buffer[] = [];
  private out = Buffer.allocUnsafeSlow(OUT_BLOCK);
  private outStart = 0;
  private outUsed = 0;
  private deliveryScheduled = false;
  private ackRequested = false;
  /** The replicas the running diskless save streams to. */
  private socketGroup: Set<ReplicaLink> | null = null;
  private readonly waiters = new Set<AckWaiter>();
  private cronLoops = 0;
  private closed = false;
  /**
   * A replica: the stream is its primary's, passed on byte for byte (proxy()), and this
   * server's own command execution is not propagated (Redis's masterhost != NULL).
   */
  private proxying = false;

  constructor(private readonly host: PrimaryHost) {
    this.refreshGoodReplicas();
  }

  /** The replication info a snapshot carries (rdbPopulateSaveInfo), once there is a backlog. */
  saveInfo(): ReplicationSaveInfo | null {
    if (this.backlog === null) return null;
    const db = this.host.stream.selectedDatabase;
    return { streamDb: db < 0 ? 0 : db, replid: this.replid, offset: this.offset };
  }

  get backlogSize(): number {
    return Math.max(BACKLOG_MIN_SIZE, this.host.config.number('repl-backlog-size'));
  }

  // ---- The stream -----------------------------------------------------------------

  private readonly feed = (bytes: Buffer): void => {
    this.append(bytes);
  };

  /**
   * A replica passes its primary's stream on: into the backlog (created at the first
   * bytes if there is none) and to its own replicas (replicationFeedStreamFromMasterStream).
   */
  proxy(bytes: Buffer): void {
    if (this.backlog === null) this.createBacklog();
    this.append(bytes);
  }

  private append(bytes: Buffer): void {
    this.backlog!.append(bytes);
    this.offset += bytes.length;
    if (this.replicas.length === 0) return;
    const n = bytes.length;
    if (this.outUsed + n > this.out.length) {
      if (this.outUsed > this.outStart) this.full.push(this.out.subarray(this.outStart, this.outUsed));
      this.out = Buffer.allocUnsafeSlow(Math.max(OUT_BLOCK, n));
      this.outStart = this.outUsed = 0;
    }
    bytes.copy(this.out, this.outUsed);
    this.outUsed += n;
    this.scheduleDelivery();
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled || this.closed) return;
    this.deliveryScheduled = true;
    setImmediate(this.deliverSoon);
  }

  private readonly deliverSoon = (): void => {
    this.deliveryScheduled = false;
    if (this.closed) return;
    // REPLCONF GETACK for the WAITs of this turn, once, outside any command (beforeSleep);
    // not while clients are paused (then once the pause ends).
    if (this.ackRequested && this.replicas.length > 0 && !this.host.clientsPaused()) {
      const stream = this.host.stream;
      if (stream.hasPending) {
        this.scheduleDelivery();
      } else {
        this.ackRequested = false;
        stream.propagateAlone(-1, GETACK);
      }
    }
    this.deliver();
  };

  /** Hands the stream produced so far to each replica (or holds it for those syncing). */
  private deliver(): void {
    if (this.outUsed === this.outStart && this.full.length === 0) return;
    const chunks = this.full;
    if (this.outUsed > this.outStart) chunks.push(this.out.subarray(this.outStart, this.outUsed));
    this.full = [];
    this.outStart = this.outUsed;
    let bytes = 0;
    for (const chunk of chunks) bytes += chunk.length;
    for (const link of this.replicas) {
      if (link.rdbOnly) continue;
      const state = link.state;
      if (state === 'online' && !link.streamOnAck) {
        for (const chunk of chunks) this.sendRaw(link, chunk);
      } else if (state === 'online' || state === 'wait_bgsave_end' || state === 'send_bulk') {
        // Held until its RDB is sent (a diskless replica: until its first ACK).
        for (const chunk of chunks) link.held.push(chunk);
        link.heldBytes += bytes;
      } else {
        // Waiting for its snapshot to start: the stream it needs begins there.
        continue;
      }
      this.checkOutputLimit(link);
    }
  }

  private sendRaw(link: ReplicaLink, data: Buffer): boolean {
    const socket = link.socket;
    if (socket === null || socket.isClosed) return false;
    this.outputBytes += data.length;
    return socket.sendRaw(data);
  }

  /**
   * Redis's checkClientOutputBufferLimits for a replica: the stream not sent yet (held
   * while it syncs, or in its socket) against the replica class's limits.
   */
  private checkOutputLimit(link: ReplicaLink): void {
    const limit = this.host.replicaOutputLimit();
    const streaming = link.state === 'online' && !link.streamOnAck;
    const used = streaming ? (link.socket?.unsentBytes ?? 0) : link.heldBytes;
    if (!outputLimitReached(limit, used, Date, link)) return;
    this.host.log('warning', `Client ${link.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.drop(link);
  }

  /** Closes a replica's connection (its removal follows through removeReplica). */
  private drop(link: ReplicaLink): void {
    link.held = [];
    link.heldBytes = 0;
    const socket = link.socket;
    if (socket !== null && !socket.isClosed) setImmediate(() => socket.close());
    else this.removeReplica(link);
  }

  // ---- SYNC and PSYNC -------------------------------------------------------------

  /**
   * SYNC, or PSYNC replid offset (psync non-null), from a client that passed the command's
   * checks: a partial resync if the backlog has what it asks for, else a full one.
   */
  sync(link: ReplicaLink, socket: ReplicaSocket, psync: { replid: string; offset: number } | null): void {
    this.host.log('notice', `Replica ${link.name} asks for synchronization`);
    link.socket = socket;
    if (psync !== null) {
      if (this.tryPartial(link, psync)) {
        this.syncPartialOk++;
        return;
      }
      if (psync.replid !== '?') this.syncPartialErr++;
    } else {
      link.preSync = true;
    }
    this.syncFull++;
    link.state = 'wait_bgsave_start';
    link.waitingSince = unixNow();
    this.replicas.push(link);
    if (this.backlog === null && !this.proxying) {
      this.replid = randomReplid();
      this.clearReplid2();
      this.createBacklog();
      this.host.log('notice', `Replication backlog created, my new replication IDs are '${this.replid}' and '${this.replid2}'`);
    }
    const persistence = this.host.persistence;
    const target = persistence.bgsaveTarget;
    if (target === 'disk') {
      // A disk save runs: usable if it was started for replicas (one holds the stream since its start).
      this.deliver();
      const other = this.replicas.find((r) => r !== link && r.state === 'wait_bgsave_end' && (!r.rdbOnly || link.rdbOnly));
      if (
        other !== undefined &&
        (link.capaEof || !other.capaEof) &&
        (link.capaPsync2 || !other.capaPsync2) &&
        link.excludeKeys === other.excludeKeys &&
        link.excludeFunctions === other.excludeFunctions
      ) {
        if (!link.rdbOnly) {
          link.held = [...other.held];
          link.heldBytes = other.heldBytes;
        }
        this.setupFullResync(link, other.initialOffset);
        this.host.log('notice', 'Waiting for end of BGSAVE for SYNC');
      } else {
        this.host.log('notice', "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      }
    } else if (target === 'replicas') {
      this.host.log('notice', 'Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC');
    } else if ((this.host.config.bool('repl-diskless-sync') || filtered(link)) && link.capaEof && this.host.config.number('repl-diskless-sync-delay') > 0) {
      this.host.log('notice', 'Delay next BGSAVE for diskless SYNC');
    } else {
      this.startSaveForReplicas();
    }
  }

  /** Redis's masterTryPartialResynchronization. */
  private tryPartial(link: ReplicaLink, psync: { replid: string; offset: number }): boolean {
    const { replid, offset } = psync;
    const same = replid.toLowerCase() === this.replid;
    const second = replid.toLowerCase() === this.replid2 && offset <= this.secondReplidOffset;
    if (!same && !second) {
      if (replid !== '?') {
        if (replid.toLowerCase() !== this.replid && replid.toLowerCase() !== this.replid2) {
          this.host.log(
            'notice',
            `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`,
          );
        } else {
          this.host.log(
            'notice',
            `Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${this.secondReplidOffset}`,
          );
        }
      } else {
        this.host.log('notice', `Full resync requested by replica ${link.name}`);
      }
      return false;
    }
    const backlog = this.backlog;
    if (backlog === null || !backlog.holds(offset)) {
      this.host.log('notice', `Unable to partial resync with replica ${link.name} for lack of backlog (Replica request was: ${offset}).`);
      if (offset > this.offset) {
        this.host.log('warning', `Warning: replica ${link.name} tried to PSYNC with an offset that is greater than the master replication offset.`);
      }
      return false;
    }
    // What this turn produced so far goes to the others first: the backlog has it for this one.
    this.deliver();
    link.state = 'online';
    link.ackTime = unixNow();
    link.streamOnAck = false;
    this.replicas.push(link);
    this.sendRaw(link, Buffer.from(link.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n', 'latin1'));
    let sent = 0;
    for (const part of backlog.from(offset)) {
      sent += part.length;
      this.sendRaw(link, part);
    }
    this.host.log('notice', `Partial resynchronization request from ${link.name} accepted. Sending ${sent} bytes of backlog starting from offset ${offset}.`);
    this.refreshGoodReplicas();
    return true;
  }

  /** Redis's replicationSetupSlaveForFullResync: the replica's RDB is taken at `offset`. */
  private setupFullResync(link: ReplicaLink, offset: number): void {
    link.initialOffset = offset;
    link.state = 'wait_bgsave_end';
    // The stream it gets starts with a SELECT (Redis sets slaveseldb to -1).
    this.host.stream.forgetSelectedDb();
    if (!link.preSync) this.sendRaw(link, Buffer.from(`+FULLRESYNC ${this.replid} ${offset}\r\n`, 'latin1'));
  }

  /**
   * Redis's startBgsaveForReplication: a snapshot for every replica waiting for one, to
   * their sockets if repl-diskless-sync is on and they all take the EOF framing, else to
   * disk. On failure they get an error and are dropped.
   */
  private startSaveForReplicas(): void {
    const first = this.replicas.find((r) => r.state === 'wait_bgsave_start');
    if (first === undefined) return;
    // Replicas asking for the same filter share one snapshot; the others wait for the next.
    const waiting = this.replicas.filter(
      (r) => r.state === 'wait_bgsave_start' && r.excludeKeys === first.excludeKeys && r.excludeFunctions === first.excludeFunctions,
    );
    const socketTarget = (this.host.config.bool('repl-diskless-sync') || filtered(first)) && waiting.every((r) => r.capaEof);
    this.host.log('notice', `Starting BGSAVE for SYNC with target: ${socketTarget ? 'replicas sockets' : 'disk'}`);
    // Everything produced before this point is delivered to the replicas already online.
    this.deliver();
    let started: boolean;
    if (socketTarget) {
      const group = new Set(waiting);
      const mark = crypto.randomBytes(20).toString('hex');
      started = this.host.persistence.startForReplicas(() => Promise.resolve(new ReplicaSocketsSink(this, group, mark)), {
        keys: !first.excludeKeys,
        functions: !first.excludeFunctions,
      });
      if (started) this.socketGroup = group;
    } else {
      started = this.host.persistence.startForReplicas(null);
    }
    if (!started) {
      this.host.log('warning', 'BGSAVE for replication failed');
      for (const link of waiting) {
        this.sendRaw(link, Buffer.from("-ERR BGSAVE failed, replication can't continue\r\n", 'latin1'));
        this.drop(link);
      }
      return;
    }
    // The snapshot was taken just now, at this offset.
    for (const link of waiting) this.setupFullResync(link, this.offset);
  }

  /** The running background save ended (Persistence.onBackgroundSaveDone). */
  saveDone(target: SaveTarget, result: BackgroundSaveResult): void {
    if (target === 'replicas') this.socketGroup = null;
    for (const link of [...this.replicas]) {
      if (link.state !== 'wait_bgsave_end') continue;
      if (!result.ok) {
        this.host.log('warning', 'SYNC failed. BGSAVE child returned an error');
        this.drop(link);
        continue;
      }
      if (target === 'replicas') {
        this.host.log('notice', `Streamed RDB transfer with replica ${link.name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`);
        if (this.putOnline(link)) link.streamOnAck = true;
      } else {
        void this.sendFile(link);
      }
    }
    if (!this.closed) this.startPendingSync();
  }

  /** A disk-based sync: the RDB file after `$<length>`, then the held stream (sendBulkToSlave). */
  private async sendFile(link: ReplicaLink): Promise<void> {
    link.state = 'send_bulk';
    const path = this.host.persistence.path;
    let file: fs.promises.FileHandle | null = null;
    try {
      file = await fs.promises.open(path, 'r');
      const size = (await file.stat()).size;
      this.sendRaw(link, Buffer.from(`$${size}\r\n`, 'latin1'));
      let pos = 0;
      while (pos < size) {
        const socket = link.socket;
        if (socket === null || socket.isClosed || this.closed) return;
        const chunk = Buffer.allocUnsafe(Math.min(FILE_CHUNK, size - pos));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, pos);
        if (bytesRead <= 0) throw new Error('premature EOF');
        this.sendRaw(link, bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
        pos += bytesRead;
        while (socket.unsentBytes > RDB_UNSENT_MAX && !socket.isClosed) await socket.drained();
      }
    } catch (e) {
      this.host.log('warning', `SYNC failed. Can't open/stat DB after BGSAVE: ${(e as Error).message}`);
      this.drop(link);
      return;
    } finally {
      await file?.close();
    }
    if (link.socket?.isClosed !== false || link.state !== 'send_bulk') return;
    if (this.putOnline(link)) this.startStream(link);
  }

  /** Redis's replicaPutOnline: false if it is an rdb-only replica, now being closed. */
  private putOnline(link: ReplicaLink): boolean {
    if (link.rdbOnly) {
      link.state = 'rdb_transmitted';
      this.host.log('notice', `RDB transfer completed, rdb only replica (${link.name}) should be disconnected asap`);
      const socket = link.socket;
      if (socket !== null) void socket.drained().then(() => socket.close());
      if (socket === null || socket.unsentBytes === 0) socket?.close();
      return false;
    }
    link.state = 'online';
    link.ackTime = unixNow();
    this.refreshGoodReplicas();
    this.host.log('notice', `Synchronization with replica ${link.name} succeeded`);
    return true;
  }

  /** The held stream goes, and the replica is written directly from now on. */
  private startStream(link: ReplicaLink): void {
    // What this turn produced and has not delivered yet is newer than the held stream:
    // it joins the held chunks first (the link still holds), so the order is kept.
    link.streamOnAck = true;
    this.deliver();
    link.streamOnAck = false;
    const held = link.held;
    link.held = [];
    link.heldBytes = 0;
    for (const chunk of held) this.sendRaw(link, chunk);
    this.checkOutputLimit(link);
  }

  /** Redis's shouldStartChildReplication: a replica waits and the delay (or replica count) is reached. */
  private startPendingSync(): void {
    if (this.host.persistence.bgsaveInProgress) return;
    const first = this.replicas.find((r) => r.state === 'wait_bgsave_start');
    if (first === undefined) return;
    const waiting = this.replicas.filter(
      (r) => r.state === 'wait_bgsave_start' && r.excludeKeys === first.excludeKeys && r.excludeFunctions === first.excludeFunctions,
    );
    const config = this.host.config;
    const now = unixNow();
    const maxIdle = Math.max(...waiting.map((r) => now - r.waitingSince));
    const maxReplicas = config.number('repl-diskless-sync-max-replicas');
    if (
      !(config.bool('repl-diskless-sync') || filtered(first)) ||
      (maxReplicas > 0 && waiting.length >= maxReplicas) ||
      maxIdle >= config.number('repl-diskless-sync-delay')
    ) {
      this.startSaveForReplicas();
    }
  }

  // ---- Acknowledgements and WAIT ------------------------------------------------------

  /** REPLCONF ACK offset from an attached replica. */
  ack(link: ReplicaLink, offset: number): void {
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = unixNow();
    if (link.streamOnAck && link.state === 'online') this.startStream(link);
    if (this.waiters.size > 0) this.serveWaiters();
  }

  /** Replicas online whose acknowledged offset reached `offset` (replicationCountAcksByOffset). */
  countAcks(offset: number): number {
    let n = 0;
    for (const link of this.replicas) if (link.state === 'online' && link.ackOffset >= offset) n++;
    return n;
  }

  /**
   * WAIT that could not answer at once: `resolve` is called with the count once
   * `replicas` replicas acknowledged `offset`. A REPLCONF GETACK goes to every replica at
   * the end of this turn. Returns a function that cancels the wait (timeout, disconnect).
   */
  waitForAcks(offset: number, replicas: number, resolve: (acked: number) => void): () => void {
    const waiter: AckWaiter = { offset, replicas, resolve };
    this.waiters.add(waiter);
    this.ackRequested = true;
    this.scheduleDelivery();
    return () => {
      this.waiters.delete(waiter);
    };
  }

  /** CLIENT PAUSE ended: a GETACK WAIT asked for meanwhile goes out now. */
  pauseEnded(): void {
    if (this.ackRequested) this.scheduleDelivery();
  }

  private serveWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const acked = this.countAcks(waiter.offset);
      if (acked < waiter.replicas) continue;
      this.waiters.delete(waiter);
      waiter.resolve(acked);
    }
  }

  /**
   * min-replicas-to-write with min-replicas-max-lag: writes are refused (NOREPLICAS).
   * Kept up to date by refreshGoodReplicas (the dispatcher reads it for every command:
   * no parameter lookups there).
   */
  writesRefused = false;

  /** Redis's refreshGoodSlavesCount (at start, on the parameters' change, on replica events, by the cron). */
  refreshGoodReplicas(): void {
    const config = this.host.config;
    const maxLag = config.number('min-replicas-max-lag');
    const min = config.number('min-replicas-to-write');
    if (min === 0 || maxLag === 0) {
      this.writesRefused = false;
      return;
    }
    const now = unixNow();
    let good = 0;
    for (const link of this.replicas) if (link.state === 'online' && now - link.ackTime <= maxLag) good++;
    this.goodReplicas = good;
    this.writesRefused = good < min;
  }

  // ---- Life of the links ----------------------------------------------------------------

  /** A replica's connection closed (or was never more than REPLCONF). */
  removeReplica(link: ReplicaLink): void {
    const i = this.replicas.indexOf(link);
    if (i < 0) return;
    this.replicas.splice(i, 1);
    link.held = [];
    link.heldBytes = 0;
    this.host.log('warning', `Connection with replica ${link.name} lost.`);
    const group = this.socketGroup;
    if (group !== null && group.delete(link) && group.size === 0 && this.host.persistence.bgsaveTarget === 'replicas') {
      this.host.log('warning', 'Diskless rdb transfer, last replica dropped, killing fork child.');
      this.host.persistence.abortBgsaveNow();
    }
    if (this.replicas.length === 0) this.noReplicasSince = unixNow();
    this.refreshGoodReplicas();
  }

  private createBacklog(): void {
    this.backlog = new ReplicationBacklog(this.backlogSize, this.offset);
    if (!this.proxying) this.unsubscribe = this.host.stream.subscribe(this.feed);
  }

  // ---- Role changes (the replica side calls these) ------------------------------------

  /**
   * This server becomes a replica: its own writes are no longer a stream. Its replicas
   * stay (they get the new primary's stream if the history continues; a full sync or a
   * new id drops them), and so does the backlog, whose history is the one a PSYNC to the
   * new primary continues.
   */
  becomeReplica(): void {
    this.deliver();
    this.proxying = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * A replica promoted (REPLICAOF NO ONE): a new replication id, the old one kept as
   * replid2 up to the current offset so that replicas of the old primary continue with a
   * partial resync (shiftReplicationId); its replicas reconnect to learn the new id.
   */
  becomePrimary(): void {
    this.deliver();
    this.replid2 = this.replid;
    this.secondReplidOffset = this.offset + 1;
    this.replid = randomReplid();
    this.host.log(
      'notice',
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplidOffset}. New replication ID is ${this.replid}`,
    );
    this.proxying = false;
    this.dropReplicas();
    if (this.backlog !== null) this.unsubscribe = this.host.stream.subscribe(this.feed);
    this.host.stream.forgetSelectedDb();
    this.noReplicasSince = unixNow();
  }

  /** A full sync from a primary ended: its history, from its offset at the snapshot, is ours. */
  startHistory(replid: string, offset: number): void {
    this.deliver();
    this.replid = replid;
    this.clearReplid2();
    this.offset = offset;
    this.backlog = new ReplicationBacklog(this.backlogSize, offset);
  }

  /** The primary continued under a new id (+CONTINUE <id>): ours follows, the old one valid up to here. */
  adoptReplid(replid: string, previous: string): void {
    this.replid2 = previous;
    this.secondReplidOffset = this.offset + 1;
    this.replid = replid;
  }

  /** DEBUG CHANGE-REPL-ID: a new replication id and no second one (Redis's changeReplicationId, clearReplicationId2). */
  changeReplid(): void {
    this.replid = randomReplid();
    this.clearReplid2();
  }

  /** Closes every replica's connection (they reconnect, and resync). */
  dropReplicas(): void {
    for (const link of [...this.replicas]) this.drop(link);
  }

  private clearReplid2(): void {
    this.replid2 = NO_REPLID;
    this.secondReplidOffset = -1;
  }

  /** repl-backlog-size changed. */
  resizeBacklog(): void {
    this.backlog?.resize(this.backlogSize);
  }

  /** Redis's replicationCron for a primary, once a second. */
  cron(): void {
    const config = this.host.config;
    const now = unixNow();
    const stream = this.host.stream;
    // PING through the stream every repl-ping-replica-period seconds (in the current database: no SELECT).
    if (
      !this.proxying &&
      this.cronLoops % config.number('repl-ping-replica-period') === 0 &&
      this.replicas.length > 0 &&
      !stream.hasPending
    ) {
      stream.propagateAlone(-1, PING);
    }
    // A newline to replicas still waiting for their RDB to start, so that they do not time out.
    for (const link of this.replicas) {
      const presync = link.state === 'wait_bgsave_start' || (link.state === 'wait_bgsave_end' && !this.socketGroup?.has(link));
      if (presync) this.sendRaw(link, NEWLINE);
    }
    const timeout = config.number('repl-timeout');
    for (const link of [...this.replicas]) {
      if (link.state === 'online' && !link.preSync && now - link.ackTime > timeout) {
        this.host.log('warning', `Disconnecting timedout replica (streaming sync): ${link.name}`);
        this.drop(link);
      } else if (link.state === 'wait_bgsave_end' && this.socketGroup?.has(link) && link.lastPartialWrite !== 0 && now - link.lastPartialWrite > timeout) {
        this.host.log('warning', `Disconnecting timedout replica (full sync): ${link.name}`);
        this.drop(link);
      }
    }
    const ttl = config.number('repl-backlog-ttl');
    if (!this.proxying && this.replicas.length === 0 && ttl > 0 && this.backlog !== null && now - this.noReplicasSince > ttl) {
      this.replid = randomReplid();
      this.clearReplid2();
      this.backlog = null;
      this.unsubscribe?.();
      this.unsubscribe = null;
      this.host.log('notice', `Replication backlog freed after ${ttl} seconds without connected replicas.`);
    }
    this.startPendingSync();
    this.refreshGoodReplicas();
    this.cronLoops++;
  }

  /** The server closes: nothing more is delivered. */
  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const waiter of this.waiters) waiter.resolve(this.countAcks(waiter.offset));
    this.waiters.clear();
  }
}

const NEWLINE = Buffer.from('\n', 'latin1');

/**
 * A diskless sync's destination (Redis's rdbSaveToSlavesSockets): `$EOF:<mark>\r\n`, the
 * RDB, then the mark, written to every replica of the group. The walk goes at the pace of
 * the slowest (a write resolves once every socket has handed all it was given to the
 * kernel), as Redis's pipe to the child does; a replica that leaves is left out, and with
 * none left the save stops.
 */
class ReplicaSocketsSink implements SnapshotSink {
  private started = false;
  /**
   * A write resolves only once no socket holds any of its bytes, so the snapshot worker's
   * batch buffers can be handed back and reused (a full sync of 1M sessions otherwise
   * left ~60 MB of 1 MB buffers for the GC). The kernel's socket buffer keeps the link
   * busy meanwhile, and the worker encodes up to four batches ahead.
   */
  readonly releasesBuffers = true;

  constructor(
    private readonly primary: Primary,
    private readonly group: Set<ReplicaLink>,
    private readonly mark: string,
  ) {}

  private live(): ReplicaLink[] {
    const live = [...this.group].filter((l) => l.socket !== null && !l.socket.isClosed);
    if (live.length === 0) throw new Error('Diskless rdb transfer, last replica dropped');
    return live;
  }

  private send(live: ReplicaLink[], data: Buffer): void {
    for (const link of live) {
      this.primary.outputBytes += data.length;
      link.socket!.sendRaw(data);
    }
  }

  async write(chunks: Buffer[]): Promise<void> {
    const live = this.live();
    if (!this.started) {
      this.started = true;
      this.send(live, Buffer.from(`$EOF:${this.mark}\r\n`, 'latin1'));
    }
    for (const chunk of chunks) this.send(live, chunk);
    const slow = live.filter((l) => l.socket!.unsentBytes > 0);
    if (slow.length === 0) return;
    // Waited on: repl-timeout counts from now for a replica that stops reading.
    const now = unixNow();
    for (const link of slow) if (link.lastPartialWrite === 0) link.lastPartialWrite = now;
    await Promise.all(
      slow.map(async (l) => {
        const socket = l.socket!;
        while (socket.unsentBytes > 0 && !socket.isClosed) await socket.drained();
      }),
    );
    for (const link of slow) link.lastPartialWrite = 0;
  }

  async commit(stillWanted: () => boolean): Promise<boolean> {
    if (!stillWanted()) return false;
    this.send(this.live(), Buffer.from(this.mark, 'latin1'));
    return true;
  }

  async abort(): Promise<void> {}
}

/** A replica that asked for a filtered RDB (rdb-filter-only). */
function filtered(link: ReplicaLink): boolean {
  return link.excludeKeys || link.excludeFunctions;
}

function randomReplid(): string {
  return crypto.randomBytes(20).toString('hex');
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
