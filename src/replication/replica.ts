import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { FeedResult, RequestParser } from '../protocol/parser.js';
import type { Primary } from './primary.js';
import { decimalDigits } from '../util/numbers.js';

/**
 * The replica side of replication, as Redis 7.0's replication.c runs it for a replica
 * (REPLICAOF host port): connect, handshake (PING, AUTH with masteruser/masterauth,
 * REPLCONF listening-port / ip-address / capa eof psync2), PSYNC with the cached
 * replication id and offset (a partial resync, +CONTINUE) or a full one (+FULLRESYNC: the
 * RDB, `$<length>` or EOF-marked, to a temporary file, then loaded), then the stream:
 * each command is run as the primary's client, counted in the offset, and passed on
 * byte for byte to this server's own replicas (chained replication: they share the
 * primary's replication id and offsets). REPLCONF ACK every second and on GETACK.
 *
 * Better than Redis where it loses nothing: a received RDB is read through once before
 * the old data is dropped, so a corrupt or truncated file is refused with a log line and
 * the replica keeps serving what it had, then retries (Redis has flushed by then).
 */

/** Redis's repl_state, and `handshake` for the steps between connecting and PSYNC's answer. */
export type LinkState = 'none' | 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

export interface ReplicaHost {
  readonly config: Config;
  readonly primary: Primary;
  log(level: 'notice' | 'warning' | 'verbose', message: string): void;
  /** The port this server listens on (REPLCONF listening-port unless replica-announce-port). */
  listeningPort(): number;
  /**
   * A full sync's RDB arrived, in a file or in memory (repl-diskless-load): the dataset
   * and libraries are replaced by it. Throws (nothing changed) if it cannot be loaded.
   * Returns the database the stream starts in (its repl-stream-db).
   */
  loadFromPrimary(source: string | Buffer): number;
  /** Whether every database is empty (repl-diskless-load on-empty-db). */
  datasetEmpty(): boolean;
  /** A new link: the primary's client starts in database `db`. */
  resetPrimaryClient(db: number): void;
  /**
   * Runs one command of the primary's stream as the primary's client: true once it ran,
   * false if CLIENT PAUSE parked it (the link then waits for resumeParked()).
   */
  applyFromPrimary(argv: string[]): boolean;
  /** The link went down or came up (clients blocked on WAIT, INFO). */
  linkChanged(up: boolean): void;
}



/** RESP of a command, as masters and replicas write them to each other. */
function encodeCommand(argv: readonly string[]): Buffer {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return Buffer.from(out, 'latin1');
}

/** The bytes a command takes in the stream (the primary writes canonical RESP). */
function encodedLength(argv: readonly string[]): number {
  let n = 3 + decimalDigits(argv.length);
  for (const arg of argv) n += 5 + decimalDigits(arg.length) + arg.length;
  return n;
}

/** REPLCONF GETACK, the one command of the stream a replica answers itself (a case-insensitive match without a lowered copy). */
function isGetack(argv: readonly string[]): boolean {
  return argv.length >= 2 && argv[0]!.length === 8 && argv[1]!.length === 6 && argv[0]!.toLowerCase() === 'replconf' && argv[1]!.toLowerCase() === 'getack';
}

/** Which replication history a PSYNC asks to continue: the cached primary's. */
interface CachedPrimary {
  replid: string;
  /** The offset processed so far (PSYNC asks for the next byte). */
  offset: number;
}

export class PrimaryLink {
  host: string | null = null;
  port = 0;
  state: LinkState = 'none';
  /** The history a reconnect asks to continue (Redis's cached master). */
  private cached: CachedPrimary | null = null;
  /** The current primary's replication id (after PSYNC) and the offset processed (slave_repl_offset). */
  private primaryReplid = '';
  offset = 0;
  /** Bytes read of the stream (slave_read_repl_offset): what was parsed, applied or not. */
  readOffset = 0;
  /** When the last byte came from the primary (ms), and when the link went down (s; 0: never up). */
  lastIo = 0;
  downSince = 0;
  /** The running full sync's transfer: its size (-1: EOF-marked), bytes read, file. */
  transferSize = -1;
  transferRead = 0;
  private transferFile: { fd: number; path: string } | null = null;
  /** A diskless load's payload, as read (repl-diskless-load swapdb, or on-empty-db with no data). */
  private transferChunks: Buffer[] | null = null;
  private eofMark: Buffer | null = null;
  /** The tail of the EOF-marked payload, to find the mark across reads. */
  private lastBytes: Buffer = Buffer.alloc(0);
  private socket: net.Socket | null = null;
  private input: Buffer = Buffer.alloc(0);
  private lineWaiter: ((line: string | null) => void) | null = null;
  private parser: RequestParser | null = null;
  /** Bytes of the stream read but not part of a whole command yet (passed on once they are). */
  private unproxied: Buffer = Buffer.alloc(0);
  /**
   * A command of the stream that CLIENT PAUSE parked (Redis 7.0 pauses the primary's
   * client too): it and everything read after it (heldStream, not parsed yet) wait for
   * resumeParked(); its bytes stay in unproxied, so sub-replicas get only what was applied.
   */
  private parked: { argv: string[]; bytes: number } | null = null;
  /** The reads held behind the parked command, each copied once (no concatenation: a long pause would make it quadratic). */
  private heldStream: Buffer[] | null = null;
  private heldStreamBytes = 0;
  /** Bumped at each new attempt: callbacks of an abandoned one do nothing. */
  private attempt = 0;
  private initialOffset = -1;

  constructor(private readonly server: ReplicaHost) {}

  get isReplica(): boolean {
    return this.host !== null;
  }

  get linkUp(): boolean {
    return this.state === 'connected';
  }

  /** The offset clients see (slave_repl_offset): the link's, else the cached one, else 1 as in Redis. */
  get reportedOffset(): number {
    if (this.state === 'connected') return this.offset;
    if (this.cached !== null) return this.cached.offset;
    return 1;
  }

  /** ROLE's link state. */
  get roleState(): string {
    switch (this.state) {
      case 'none': return 'none';
      case 'connect': return 'connect';
      case 'connecting': return 'connecting';
      case 'handshake': return 'handshake';
      case 'transfer': return 'sync';
      case 'connected': return 'connected';
    }
  }

  /**
   * REPLICAOF host port (replicationSetMaster): drops the current link, and when this
   * server was a primary, keeps its own history as the one to continue (so a replica
   * promoted meanwhile can accept a partial resync). Connects at once.
   */
  follow(host: string, port: number): void {
    const wasPrimary = this.host === null;
    this.host = host;
    this.port = port;
    // CONFIG GET replicaof and CONFIG REWRITE show the role the server has now.
    this.server.config.record('replicaof', `${host} ${port}`);
    // The history followed so far is the one to continue with the new primary (a sibling promoted).
    if (this.state === 'connected') this.cached = { replid: this.primaryReplid, offset: this.offset };
    this.dropLink(false);
    const primary = this.server.primary;
    primary.becomeReplica();
    if (wasPrimary) {
      this.cached = { replid: primary.replid, offset: primary.offset };
      this.server.log('notice', 'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.');
    }
    this.state = 'connect';
    this.server.linkChanged(false);
    this.connect();
  }

  /** REPLICAOF NO ONE (replicationUnsetMaster): a primary again, with a new history that continues this one. */
  stopFollowing(): void {
    if (this.host === null) return;
    this.host = null;
    this.server.config.record('replicaof', '');
    this.dropLink(false);
    this.cached = null;
    this.state = 'none';
    this.server.primary.becomePrimary();
    this.server.linkChanged(false);
  }

  /** The primary's client was closed (CLIENT KILL TYPE master): the link goes, and comes back with a PSYNC. */
  disconnect(): void {
    if (this.state === 'connected') this.server.log('notice', 'Connection with master lost.');
    this.dropLink(true);
  }

  /** Redis's replicationCron, replica part, once a second. */
  cron(): void {
    if (this.host === null) return;
    const timeoutMs = this.server.config.number('repl-timeout') * 1000;
    const now = Date.now();
    if ((this.state === 'connecting' || this.state === 'handshake') && now - this.lastIo > timeoutMs) {
      this.server.log('warning', 'Timeout connecting to the MASTER...');
      this.dropLink(true);
    } else if (this.state === 'transfer' && now - this.lastIo > timeoutMs) {
      this.server.log('warning', "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
      this.dropLink(true);
    } else if (this.state === 'connected' && now - this.lastIo > timeoutMs) {
      this.server.log('warning', 'MASTER timeout: no data nor PING received...');
      this.dropLink(true);
    }
    if (this.state === 'connect') this.connect();
    if (this.state === 'connected') this.sendAck();
  }

  close(): void {
    this.host = null;
    this.dropLink(false);
    this.state = 'none';
  }

  private connect(): void {
    const host = this.host!;
    const port = this.port;
    this.server.log('notice', `Connecting to MASTER ${host}:${port}`);
    this.state = 'connecting';
    this.lastIo = Date.now();
    const attempt = ++this.attempt;
    const socket = net.connect({ host, port });
    this.socket = socket;
    this.input = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (attempt === this.attempt) this.onData(chunk);
    });
    socket.on('error', (e) => {
      if (attempt !== this.attempt) return;
      this.server.log('warning', `Error condition on socket for SYNC: ${e.message}`);
      this.dropLink(true);
    });
    socket.on('close', () => {
      if (attempt !== this.attempt) return;
      if (this.state === 'connected') this.server.log('notice', 'Connection with master lost.');
      else this.server.log('warning', 'I/O error trying to sync with MASTER: connection lost');
      this.dropLink(true);
    });
    socket.on('connect', () => {
      if (attempt !== this.attempt) return;
      this.server.log('notice', 'MASTER <-> REPLICA sync started');
      this.server.log('notice', 'Non blocking connect for SYNC fired the event.');
      this.state = 'handshake';
      this.lastIo = Date.now();
      void this.handshake(attempt);
    });
  }

  /**
   * Ends the link. With `retry` the next cron connects again, and what the link had
   * processed is kept as the history to continue (replicationCacheMaster).
   */
  private dropLink(retry: boolean): void {
    this.attempt++;
    const wasConnected = this.state === 'connected';
    if (wasConnected && retry) {
      this.cached = { replid: this.primaryReplid, offset: this.offset };
      this.server.log('notice', 'Caching the disconnected master state.');
    }
    if (this.socket !== null) {
      this.socket.destroy();
      this.socket = null;
    }
    this.abortTransfer();
    this.parser = null;
    this.parked = null;
    this.heldStream = null;
    this.heldStreamBytes = 0;
    const waiter = this.lineWaiter;
    this.lineWaiter = null;
    waiter?.(null);
    if (this.host !== null && retry) {
      this.state = 'connect';
      if (wasConnected) {
        this.downSince = Math.floor(Date.now() / 1000);
        this.server.linkChanged(false);
      }
    }
  }

  private send(argv: readonly string[]): void {
    this.socket?.write(encodeCommand(argv));
  }

  /** The next reply line of the handshake (newlines the primary sends to keep us waiting are skipped); null if the link went. */
  private readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.input.indexOf(10);
      if (nl < 0) break;
      const line = this.input.subarray(0, nl).toString('latin1').replace(/\r$/, '');
      this.input = this.input.subarray(nl + 1);
      if (line !== '') return Promise.resolve(line);
    }
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
    });
  }

  private onData(chunk: Buffer): void {
    this.lastIo = Date.now();
    if (this.state === 'connected') {
      this.feedStream(chunk);
      return;
    }
    if (this.state === 'transfer') {
      this.receivePayload(chunk);
      return;
    }
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    const waiter = this.lineWaiter;
    if (waiter === null) return;
    const nl = this.input.indexOf(10);
    if (nl < 0) return;
    this.lineWaiter = null;
    void this.readLine().then(waiter);
  }

  /** syncWithMaster: PING, AUTH, REPLCONF, then PSYNC and what its answer says. */
  private async handshake(attempt: number): Promise<void> {
    const config = this.server.config;
    const live = () => attempt === this.attempt;
    this.send(['PING']);
    const pong = await this.readLine();
    if (pong === null || !live()) return;
    if (pong.startsWith('-') && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(pong)) {
      this.server.log('warning', `Error reply to PING from master: '${pong.slice(1)}'`);
      this.dropLink(true);
      return;
    }
    this.server.log('notice', 'Master replied to PING, replication can continue...');
    const auth = config.string('masterauth');
    if (auth !== '') {
      const user = config.string('masteruser');
      this.send(user === '' ? ['AUTH', auth] : ['AUTH', user, auth]);
      const reply = await this.readLine();
      if (reply === null || !live()) return;
      if (reply.startsWith('-')) {
        this.server.log('warning', `Unable to AUTH to MASTER: ${reply.slice(1)}`);
        this.dropLink(true);
        return;
      }
    }
    const announcedPort = config.number('replica-announce-port');
    this.send(['REPLCONF', 'listening-port', String(announcedPort || this.server.listeningPort())]);
    const portReply = await this.readLine();
    if (portReply === null || !live()) return;
    if (portReply.startsWith('-')) this.server.log('notice', `(Non critical) Master does not understand REPLCONF listening-port: ${portReply.slice(1)}`);
    const announcedIp = config.string('replica-announce-ip');
    if (announcedIp !== '') {
      this.send(['REPLCONF', 'ip-address', announcedIp]);
      const ipReply = await this.readLine();
      if (ipReply === null || !live()) return;
      if (ipReply.startsWith('-')) this.server.log('notice', `(Non critical) Master does not understand REPLCONF ip-address: ${ipReply.slice(1)}`);
    }
    this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    const capaReply = await this.readLine();
    if (capaReply === null || !live()) return;
    if (capaReply.startsWith('-')) this.server.log('notice', `(Non critical) Master does not understand REPLCONF capa: ${capaReply.slice(1)}`);
    // PSYNC: continue the cached history if there is one.
    const cached = this.cached;
    if (cached !== null) {
      this.server.log('notice', `Trying a partial resynchronization (request ${cached.replid}:${cached.offset + 1}).`);
      this.send(['PSYNC', cached.replid, String(cached.offset + 1)]);
    } else {
      this.server.log('notice', 'Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1']);
    }
    const reply = await this.readLine();
    if (reply === null || !live()) return;
    const full = /^\+FULLRESYNC ([0-9a-fA-F]{40}) (\d+)$/.exec(reply);
    if (full !== null) {
      this.primaryReplid = full[1]!;
      this.initialOffset = Number(full[2]);
      this.server.log('notice', `Full resync from master: ${this.primaryReplid}:${this.initialOffset}`);
      // Our own replicas must resync with us too, from the new history.
      this.server.primary.dropReplicas();
      this.cached = null;
      await this.readPayloadHeader(attempt);
      return;
    }
    const cont = /^\+CONTINUE(?: ([0-9a-fA-F]{40}))?$/.exec(reply);
    if (cont !== null && cached !== null) {
      this.server.log('notice', 'Successful partial resynchronization with master.');
      const newId = cont[1];
      const primary = this.server.primary;
      if (newId !== undefined && newId !== cached.replid) {
        // The primary's history continues under a new id (it was promoted): ours too.
        primary.adoptReplid(newId, cached.replid);
        this.server.log('notice', `Master replication ID changed to ${newId}`);
        primary.dropReplicas();
      }
      this.primaryReplid = newId ?? cached.replid;
      this.offset = this.readOffset = cached.offset;
      this.cached = null;
      this.server.log('notice', 'MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      this.startStream(null);
      return;
    }
    if (/^-(NOMASTERLINK|LOADING)/.test(reply)) {
      this.server.log('notice', `Master is currently unable to PSYNC but should be in the future: ${reply.slice(1)}`);
    } else {
      this.server.log('warning', `Unexpected reply to PSYNC from master: ${reply}`);
    }
    this.dropLink(true);
  }

  /** The line before the RDB: `$<length>` or `$EOF:<40 bytes>`. */
  private async readPayloadHeader(attempt: number): Promise<void> {
    const line = await this.readLine();
    if (line === null || attempt !== this.attempt) return;
    if (!line.startsWith('$')) {
      this.server.log('warning', `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`);
      this.dropLink(true);
      return;
    }
    // repl-diskless-load: swapdb always reads into memory, on-empty-db when there is no data to lose.
    const mode = this.server.config.string('repl-diskless-load');
    const diskless = mode === 'swapdb' || (mode === 'on-empty-db' && this.server.datasetEmpty());
    if (diskless) {
      this.transferChunks = [];
    } else {
      const dir = this.server.config.string('dir');
      const tmp = path.join(dir, `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
      let fd: number;
      try {
        fd = fs.openSync(tmp, 'w');
      } catch (e) {
        this.server.log('warning', `Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
        this.dropLink(true);
        return;
      }
      this.transferFile = { fd, path: tmp };
    }
    this.transferRead = 0;
    this.lastBytes = Buffer.alloc(0);
    const to = diskless ? 'to parser' : 'to disk';
    if (line.startsWith('$EOF:')) {
      this.eofMark = Buffer.from(line.slice(5), 'latin1');
      this.transferSize = -1;
      this.server.log('notice', `MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${to}`);
    } else {
      this.eofMark = null;
      this.transferSize = Number(line.slice(1));
      this.server.log('notice', `MASTER <-> REPLICA sync: receiving ${this.transferSize} bytes from master ${to}`);
    }
    this.state = 'transfer';
    const rest = this.input;
    this.input = Buffer.alloc(0);
    if (rest.length > 0) this.receivePayload(rest);
  }

  /** Bytes of the RDB (and, with `$<length>`, perhaps the stream after it). */
  private receivePayload(chunk: Buffer): void {
    let data = chunk;
    let after: Buffer | null = null;
    if (this.eofMark === null) {
      const left = this.transferSize - this.transferRead;
      if (chunk.length > left) {
        data = chunk.subarray(0, left);
        after = chunk.subarray(left);
      }
    }
    if (this.transferChunks !== null) {
      this.transferChunks.push(Buffer.from(data));
    } else {
      try {
        fs.writeSync(this.transferFile!.fd, data);
      } catch (e) {
        this.server.log('warning', `Write error saving the DB from MASTER: ${(e as Error).message}`);
        this.dropLink(true);
        return;
      }
    }
    this.transferRead += data.length;
    let done: boolean;
    if (this.eofMark === null) {
      done = this.transferRead === this.transferSize;
    } else {
      const mark = this.eofMark;
      this.lastBytes = Buffer.concat([this.lastBytes, data]).subarray(-mark.length);
      done = this.lastBytes.equals(mark);
    }
    if (!done) return;
    this.finishTransfer(after);
  }

  /** The whole RDB is here: load it (the old data goes only if it loads), then the stream. */
  private finishTransfer(after: Buffer | null): void {
    if (this.transferChunks !== null) {
      this.finishDisklessTransfer(after);
      return;
    }
    const file = this.transferFile!;
    this.transferFile = null;
    try {
      if (this.eofMark !== null) fs.ftruncateSync(file.fd, this.transferRead - this.eofMark.length);
      fs.fsyncSync(file.fd);
      fs.closeSync(file.fd);
    } catch (e) {
      this.server.log('warning', `Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
      fs.rmSync(file.path, { force: true });
      this.dropLink(true);
      return;
    }
    const target = path.join(this.server.config.string('dir'), this.server.config.string('dbfilename'));
    let streamDb: number;
    try {
      this.server.log('notice', 'MASTER <-> REPLICA sync: Flushing old data');
      this.server.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
      streamDb = this.server.loadFromPrimary(file.path);
    } catch (e) {
      this.server.log('warning', `Failed trying to load the MASTER synchronization DB from disk, check server logs. (${(e as Error).message}; the previous data is kept)`);
      fs.rmSync(file.path, { force: true });
      this.dropLink(true);
      return;
    }
    try {
      fs.renameSync(file.path, target);
    } catch (e) {
      this.server.log('warning', `Failed trying to rename the temp DB into ${path.basename(target)} in MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
      fs.rmSync(file.path, { force: true });
    }
    this.completeSync(streamDb, after);
  }

  /** The RDB is loaded: the primary's history is ours, from its offset at the snapshot; then the stream. */
  private completeSync(streamDb: number, after: Buffer | null): void {
    this.server.primary.startHistory(this.primaryReplid, this.initialOffset);
    this.offset = this.readOffset = this.initialOffset;
    this.server.log('notice', 'MASTER <-> REPLICA sync: Finished with success');
    this.startStream(streamDb, after);
    // A diskless primary waits for this ACK to start the stream.
    this.sendAck();
  }

  /** repl-diskless-load: the RDB read into memory is checked, then loaded from there. */
  private finishDisklessTransfer(after: Buffer | null): void {
    const chunks = this.transferChunks!;
    this.transferChunks = null;
    let image = Buffer.concat(chunks);
    if (this.eofMark !== null) image = image.subarray(0, image.length - this.eofMark.length);
    let streamDb: number;
    try {
      this.server.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
      streamDb = this.server.loadFromPrimary(image);
    } catch (e) {
      this.server.log('warning', `Failed trying to load the MASTER synchronization DB from socket, check server logs. (${(e as Error).message}; the previous data is kept)`);
      this.dropLink(true);
      return;
    }
    this.completeSync(streamDb, after);
  }

  private abortTransfer(): void {
    this.transferChunks = null;
    const file = this.transferFile;
    if (file === null) return;
    this.transferFile = null;
    try {
      fs.closeSync(file.fd);
    } catch {
      // Already closed.
    }
    fs.rmSync(file.path, { force: true });
  }

  private startStream(streamDb: number | null, rest: Buffer | null = null): void {
    this.state = 'connected';
    this.downSince = 0;
    this.parser = new RequestParser({ maxBulkLength: Number.MAX_SAFE_INTEGER, maxQueryBuffer: Number.MAX_SAFE_INTEGER });
    this.unproxied = Buffer.alloc(0);
    if (streamDb !== null) this.server.resetPrimaryClient(streamDb);
    this.server.linkChanged(true);
    const pending = Buffer.concat([this.input, rest ?? Buffer.alloc(0)]);
    this.input = Buffer.alloc(0);
    if (pending.length > 0) this.feedStream(pending);
  }

  private readonly onCommand = (argv: string[]): boolean => {
    const n = encodedLength(argv);
    this.readOffset += n;
    if (isGetack(argv)) {
      // Answered with what was processed before it, as Redis does.
      this.sendAck();
    } else if (!this.server.applyFromPrimary(argv)) {
      // Parked by CLIENT PAUSE: not processed (slave_repl_offset stays), the stream waits.
      this.parked = { argv, bytes: n };
      return false;
    }
    this.offset += n;
    return this.state === 'connected';
  };

  /**
   * The pause that parked a command of the stream is over: the command runs (it may be
   * parked again by a new pause), its bytes go on to sub-replicas, then what was read
   * meanwhile is processed. Called on a later turn, as Redis resumes unblocked clients.
   */
  resumeParked(): void {
    const parked = this.parked;
    if (parked === null || this.state !== 'connected') return;
    if (!this.server.applyFromPrimary(parked.argv)) return;
    this.parked = null;
    this.offset += parked.bytes;
    this.server.primary.proxy(this.unproxied);
    this.unproxied = Buffer.alloc(0);
    const held = this.heldStream;
    this.heldStream = null;
    this.heldStreamBytes = 0;
    // A read that parks a command again holds the rest of it and, in order, the reads after it.
    if (held !== null) for (const chunk of held) this.feedStream(chunk);
  }

  /** slave_read_repl_offset: the stream's bytes read, parsed or held behind a parked command. */
  get readReplOffset(): number {
    return this.readOffset + this.heldStreamBytes;
  }

  /**
   * A read of the stream: its whole commands are run, then passed on as the bytes they
   * came in (the primary writes canonical RESP, so the bytes of the commands parsed are
   * the first `parsed` bytes of what was held plus this read; the rest is the start of
   * the next command, held for the next read).
   */
  private feedStream(chunk: Buffer): void {
    const parser = this.parser;
    if (parser === null) return;
    if (this.parked !== null) {
      // Behind a parked command: kept, in order, unparsed.
      this.holdStream(chunk);
      return;
    }
    const before = this.readOffset;
    const result = parser.feed(chunk, this.onCommand);
    if (result === FeedResult.ProtocolError) {
      this.server.log('warning', 'Protocol error from MASTER: the stream is not RESP; the link is dropped');
      this.dropLink(true);
      return;
    }
    // onCommand may have parked a command (TypeScript cannot see it change this.parked).
    const parked = this.parked as { bytes: number } | null;
    if (parked !== null) {
      // What follows the parked command waits unparsed; the command's own bytes are not passed on yet.
      const rest = chunk.subarray(parser.stoppedAt);
      if (rest.length > 0) this.holdStream(rest);
      chunk = chunk.subarray(0, parser.stoppedAt);
    }
    const parsed = this.readOffset - before - (parked?.bytes ?? 0);
    const held = this.unproxied;
    if (held.length === 0 && parsed === chunk.length) {
      this.server.primary.proxy(chunk);
      return;
    }
    const all = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    if (parsed > 0) this.server.primary.proxy(all.subarray(0, parsed));
    // Copied: the chunk may be a buffer the socket reuses.
    this.unproxied = Buffer.from(all.subarray(parsed));
  }

  /** Keeps a read behind the parked command (copied: the socket may reuse it). */
  private holdStream(chunk: Buffer): void {
    const copy = Buffer.from(chunk);
    if (this.heldStream === null) this.heldStream = [copy];
    else this.heldStream.push(copy);
    this.heldStreamBytes += copy.length;
  }

  private sendAck(): void {
    if (this.socket === null) return;
    this.send(['REPLCONF', 'ACK', String(this.offset)]);
  }
}


