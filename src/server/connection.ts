import type net from 'node:net';
import { adopt } from './shared-read.js';
import { DirectWrite, directWriter, type DirectWriter } from './direct-write.js';
import { Client, type ClientTransport, type ServerContext } from '../commands/context.js';
import { clientInfoLine } from '../commands/client-info-line.js';
import { execute } from '../commands/dispatch.js';
import { FeedResult, RequestParser, type ParserLimits } from '../protocol/parser.js';
import type { Clock } from '../keyspace/clock.js';
import { outputLimitReached, type OutputBufferLimits, type SoftLimitState } from '../config/output-limits.js';
import type { ReplicaSocket } from '../replication/primary.js';

/**
 * What a Connection needs of its server, beyond what its Client's commands see: declared
 * here and implemented by LapseServer (server.ts), so that the connection does not
 * import the server that creates it.
 */
export interface ConnectionHost extends ServerContext {
  readonly clock: Clock;
  readonly parserLimits: ParserLimits;
  /** client-output-buffer-limit, by class (checked after each write). */
  readonly outputLimits: OutputBufferLimits;
  /** The buffer this server's plain TCP connections read into (shared-read.ts). */
  readonly readBuffer: Buffer;
  /** Where the arguments of the command being parsed lay in its read, for every connection (RequestParser.argSpans). */
  readonly argSpans: Int32Array;
  /** A read's commands start (expiry catch-up, pub/sub messages in line with replies). */
  /** `started`: the clock's monotonic() when the read began (the time it runs at), if the caller read it. */
  beginBatch(connection: Connection, started?: number): void;
  /** The read's commands are done: queued pub/sub messages go out. */
  endBatch(): void;
  /** This connection has pub/sub messages queued, to write at the end of the batch. */
  pushQueued(connection: Connection): void;
  /** This connection holds replies to write once the turn's reads have run (its writeDeferred). */
  writeLater(connection: Connection): void;
  /** The connection ended (by either side). */
  clientClosed(connection: Connection): void;
}

/**
 * Encoded replies are written out once a batch has this many bytes (the writer's slab),
 * so a read that runs many commands is answered in pieces of this size.
 */
const FLUSH_BYTES = 64 * 1024;
/**
 * A batch of at least COPY_BELOW bytes is also written out when its slab has less room
 * than this left, before a reply that does not fit grows the slab (see ReplyWriter.room).
 */
const FLUSH_ROOM = 4 * 1024;
/** A reply smaller than this is copied rather than handed over as a view that pins a slab. */
const COPY_BELOW = 16 * 1024;
/**
 * The blocks that hold output while the socket is full: small writes are copied into
 * them back to back (Redis's reply list of PROTO_REPLY_CHUNK_BYTES blocks), so a backlog
 * costs its bytes plus the unused end of the last block, not a Buffer and a queue entry
 * per batch.
 */
const BLOCK_BYTES = 16 * 1024;
/** Redis's PROTO_REPLY_CHUNK_BYTES: a client's reply buffer, before its reply list. */
const REPLY_BUFFER_BYTES = 16 * 1024;
/**
 * What one connection costs besides its buffers (CLIENT LIST tot-mem): the net.Socket
 * and its libuv handle, this object, the Client, the parser. Measured with node 20: the
 * heap and external memory of 2,000 idle connections, after GC, divided by 2,000.
 */
const CONNECTION_BYTES = 3072;

/**
 * One client socket: bytes in, parsed commands to the dispatcher, replies out.
 *
 * All replies to one read are encoded into the shared writer and written with one
 * socket write; only a batch whose replies pass FLUSH_BYTES is written in pieces. The
 * write waits until every connection readable in this turn of the event loop has run
 * its commands (server.writeLater), as Redis writes replies before it sleeps; anything
 * else written to the socket meanwhile (pub/sub messages, a replica's stream, the
 * output queue) sends those held replies first, so the order never changes. Held
 * replies count toward the output limits and omem past the 16 KiB of Redis's reply
 * buffer (c->buf), which Redis leaves out of both, and a client closed for its limits
 * gets nothing more, as Redis writes nothing to a CLIENT_CLOSE_ASAP client.
 *
 * As in Redis, a client is read and its commands are run whether or not it reads its
 * replies: a client that writes its whole pipeline before reading anything (redis-py's
 * pipeline.execute(), a bulk loader) must get every reply, and a server that stopped
 * reading it would wait for it for ever while it waits for the server. Replies the
 * socket cannot take at once wait in the output queue (see send()). What bounds a
 * client that never reads is Redis's: client-output-buffer-limit for its class (closed
 * with Redis's log line once over it) and maxmemory (its output counts as used memory);
 * with Redis's default for normal clients (no limit) its output grows as on Redis.
 *
 * Fairness: libuv reads a socket up to 32 times in a row while each read fills the
 * buffer. A read that filled it means the client has more waiting; the connection then
 * stops reading until the next turn of the event loop, so a client that floods gets one
 * read's worth of commands per turn and the others are served in between (Redis reads
 * a client once per event for the same reason). Measured with slow-clients.test.ts's
 * flooding client (node 20, a shared 2-core machine), a probe's round trip: GETs of
 * 100 B, p50 4 ms and p99 13-30 ms with the yield, 28-36 ms and 114-137 ms without; GETs
 * of 1 KB, p50 8-15 ms with it, 45-100 ms without, and the server's RSS 200-300 MB
 * against 670-900 MB (replies produced 32 reads at a time faster than they are sent).
 *
 * Pub/sub messages sent to this client while another client's commands run are
 * queued (push) and written with one write when that batch ends; messages queued
 * before this client's own batch are written before its replies.
 */
export class Connection implements ClientTransport, ReplicaSocket {
  readonly client: Client;
  readonly parser: RequestParser;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly fd: number;
  private closed = false;
  /**
   * The socket said it is full (a write returned false): until its 'drain', output goes
   * to the queue below instead of to the socket.
   */
  private waitingDrain = false;
  /** Output waiting for 'drain', in order: copies in blocks, or large views. */
  private queue: Buffer[] = [];
  /** The block small output is appended to (also the last element of queue), and how much of it is used. */
  private tail: Buffer | null = null;
  private tailUsed = 0;
  private queueBytes = 0;
  /** Reading stopped for the rest of this turn of the event loop (see the class comment). */
  private yielding = false;
  /** Pub/sub messages waiting for the end of the batch that produced them. */
  private pushes: Buffer[] | null = null;
  private pushBytes = 0;
  /**
   * Replies to this turn's reads, written once every connection readable this turn has
   * run its commands (see the class comment): the first, and any more in order.
   */
  private deferred: Buffer | null = null;
  private deferredMore: Buffer[] | null = null;
  private deferredBytes = 0;
  /**
   * When the output buffer went over its class's soft limit (Unix seconds; 0 while under
   * it): Redis's obuf_soft_limit_reached_time.
   */
  private readonly softLimit: SoftLimitState = { softLimitSince: 0 };
  /** Over an output buffer limit: nothing more is read, run or queued; closed after the batch. */
  private closeAsap = false;
  /**
   * What the client sent after the command that blocked it (blocking.ts), kept unparsed
   * until it is unblocked; the socket is read on meanwhile, as Redis reads a blocked
   * client, so a client that goes away while blocked is seen to go.
   */
  private held: Buffer | null = null;
  private resumeScheduled = false;
  /**
   * Closed after a reply (QUIT, a protocol error, CLIENT KILL of itself...): the write side
   * is ended and the socket read on until the peer's FIN (see flush). Input that still
   * comes then cuts the connection off (cutOff).
   */
  private lingering = false;
  /**
   * A replica (SYNC, PSYNC): its replies are dropped and the primary writes to the socket
   * (sendRaw); its output limits are the primary's to check.
   */
  private replicaMode = false;
  /** Callers of drained() waiting for the next 'drain' (or the close). */
  private drainWaiters: (() => void)[] = [];
  /** Writes straight to an adopted socket's handle (direct-write.ts), or null: socket.write(). */
  private readonly direct: DirectWriter | null;
  private readonly sink = (argv: string[]): boolean => {
    const client = this.client;
    const reply = this.server.reply;
    reply.protocol = client.protocol;
    // CLIENT REPLY OFF or SKIP: what this command answers is dropped (two flag tests otherwise).
    const dropping = client.replyOff || client.replySkip;
    const mark = dropping ? reply.mark() : 0;
    // The arguments' bytes, for the keyspace's lookups while this command runs
    // (KeyBytes): cleared after it, as the read buffer will be reused.
    const parser = this.parser;
    const argsFrom = parser.argsFrom;
    if (argsFrom !== null) {
      parser.argsFrom = null;
      const given = this.server.keyspace.keyBytes;
      given.set(argv, argsFrom, parser.argSpans, parser.argsValidFrom);
      try {
        execute(client, argv);
      } finally {
        given.clear();
      }
    } else {
      execute(client, argv);
    }
    if (dropping && (client.replyOff || client.replySkip)) reply.rollback(mark);
    if (client.replySkip || client.replySkipNext) {
      client.replySkip = client.replySkipNext;
      client.replySkipNext = false;
    }
    this.parser.unauthenticated = !client.authenticated && this.server.authRequired;
    if (client.closeAfterReply || this.closed || this.closeAsap || client.blocked) return false;
    if (reply.pending >= FLUSH_BYTES || (reply.room < FLUSH_ROOM && reply.pending >= COPY_BELOW)) {
      this.server.commandTimer.close();
      this.write();
      return !this.closeAsap;
    }
    return true;
  };
  private readonly readAgain = (): void => {
    this.yielding = false;
    if (!this.closed && !this.closeAsap) this.socket.resume();
  };

  private readonly socket: net.Socket;
  /** Reads come from the server's read buffer (one full read is its length). */
  private readonly adopted: boolean;

  /**
   * A plain TCP socket comes paused (the server accepts with pauseOnConnect) and is read
   * into its server's read buffer (shared-read.ts); a TLS socket, or one this Node cannot
   * adopt, is read with 'data'.
   */
  constructor(
    private readonly server: ConnectionHost,
    accepted: net.Socket,
  ) {
    const adopted = (accepted as { encrypted?: boolean }).encrypted
      ? null
      : adopt(accepted, server.readBuffer, (buffer, length) => this.onData(buffer, length));
    const socket = adopted ?? accepted;
    this.socket = socket;
    this.adopted = adopted !== null;
    this.direct = adopted !== null ? directWriter(adopted, (ok) => this.directDone(ok)) : null;
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    // A TLS socket wraps the TCP socket that holds the descriptor.
    type Handle = { _handle?: { fd?: number }; _parent?: Handle };
    const handle = socket as unknown as Handle;
    this.fd = handle._handle?.fd ?? handle._parent?._handle?.fd ?? -1;
    this.client = new Client(server, this);
    this.parser = new RequestParser(server.parserLimits, server.argSpans);
    this.parser.unauthenticated = !this.client.authenticated && server.authRequired;
    socket.setNoDelay(true);
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    if (adopted === null) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length));
      // A plain socket that could not be adopted was accepted paused.
      socket.resume();
    }
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  replicaSocket(): ReplicaSocket {
    this.replicaMode = true;
    this.pushes = null;
    this.pushBytes = 0;
    return this;
  }

  sendRaw(data: Buffer): boolean {
    if (this.closed) return false;
    this.send(data, false);
    return !this.waitingDrain;
  }

  get unsentBytes(): number {
    return this.socket.writableLength + this.directQueued + this.queueBytes;
  }

  /** Bytes of direct writes libuv still holds. */
  private get directQueued(): number {
    return this.direct === null ? 0 : this.direct.queuedBytes;
  }

  drained(): Promise<void> {
    if (this.closed || this.unsentBytes === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  queryBufferLength(): number {
    return this.parser.pendingBytes;
  }

  outputBufferLength(): number {
    // Replies held for the end of the turn are what Redis keeps in a client's 16 KiB
    // reply buffer (c->buf), which its output limits and omem leave out, and past it in
    // its reply list, which they count.
    const held = this.deferredBytes > REPLY_BUFFER_BYTES ? this.deferredBytes - REPLY_BUFFER_BYTES : 0;
    return this.socket.writableLength + this.directQueued + this.queueBytes + this.pushBytes + held;
  }

  pendingArgvLength(): number {
    return this.parser.pendingArgvBytes;
  }

  fixedMemory(): number {
    const tailFree = this.tail === null ? 0 : this.tail.length - this.tailUsed;
    return CONNECTION_BYTES + this.parser.bufferCapacity - this.parser.pendingBytes + tailFree;
  }

  get closingAsap(): boolean {
    return this.closeAsap;
  }

  push(bytes: Buffer): void {
    if (this.closed || this.closeAsap || this.replicaMode) return;
    if (this.pushes === null) {
      this.pushes = [bytes];
      this.server.pushQueued(this);
    } else {
      this.pushes.push(bytes);
    }
    this.pushBytes += bytes.length;
    this.checkOutputLimits();
  }

  /** Writes the queued pub/sub messages with one write. */
  flushPushes(): void {
    const pushes = this.pushes;
    if (pushes === null) return;
    const size = this.pushBytes;
    this.pushes = null;
    this.pushBytes = 0;
    if (this.closed) return;
    // Several messages are copied into one buffer anyway; a single one is handed over as
    // is unless it would pin a slab of the encoder behind unsent data (see write()).
    const data =
      pushes.length > 1
        ? Buffer.concat(pushes, size)
        : size < COPY_BELOW && this.socket.writableLength > 0 && !this.waitingDrain ? Buffer.from(pushes[0]!) : pushes[0]!;
    this.send(data);
  }

  /**
   * Redis's checkClientOutputBufferLimits, after anything is added to this client's
   * output: the limits of its class (pubsub while subscribed, else normal) apply to the
   * bytes not sent yet. Over the hard limit, or over the soft limit for longer than its
   * seconds, the client is closed once the current batch is over, with Redis's log line,
   * and what it was not sent is dropped.
   */
  private checkOutputLimits(): void {
    if (this.replicaMode) return;
    const limits = this.server.outputLimits;
    const limit = this.client.subscriptions !== null ? limits.pubsub : limits.normal;
    if (limit.hard === 0 && limit.soft === 0) return;
    if (!outputLimitReached(limit, this.outputBufferLength(), this.server.clock, this.softLimit)) return;
    // Described as Redis describes it: before it is flagged (flags without A).
    const description = clientInfoLine(this.client, Date.now(), 0);
    this.closeAsap = true;
    this.server.log('warning', `Client ${description} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.pushes = null;
    this.pushBytes = 0;
    this.dropQueue();
    this.socket.pause();
    // Not now: the client may be in the middle of a delivery loop or of its own batch.
    setImmediate(() => this.destroy());
  }

  close(): void {
    this.destroy();
  }

  unblocked(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      this.resumeHeld();
    });
  }

  /**
   * Runs what the client sent while it was blocked (Redis's processUnblockedClients):
   * first the command CLIENT PAUSE parked, if any, from the start, then the rest.
   */
  private resumeHeld(): void {
    const client = this.client;
    const parked = client.parkedCommand;
    const held = this.held;
    if ((held === null && parked === null) || this.closed || this.closeAsap || client.blocked) return;
    this.server.beginBatch(this);
    try {
      if (parked !== null) {
        client.parkedCommand = null;
        if (!this.sink(parked) || held === null) {
          this.flush();
          return;
        }
      }
      this.held = null;
      this.runBatch(held!, held!.length);
    } finally {
      this.server.endBatch();
    }
  }

  /** Keeps chunk[from..to) for when the client is unblocked; false if that passes the query buffer limit. */
  private hold(chunk: Buffer, from: number, to: number): boolean {
    if (from >= to) return true;
    const part = chunk.subarray(from, to);
    const held = this.held === null ? Buffer.from(part) : Buffer.concat([this.held, part]);
    if (held.length > this.server.parserLimits.maxQueryBuffer) {
      this.held = null;
      this.server.log('warning', `Closing client that reached max query buffer length: addr=${this.remoteAddress}`);
      this.destroy();
      return false;
    }
    this.held = held;
    return true;
  }

  /** A read: chunk[0..length); chunk may be the server's read buffer, reused after this call. */
  private onData(chunk: Buffer, length: number): void {
    if (this.closed || this.closeAsap) {
      if (this.lingering) this.cutOff();
      return;
    }
    const stats = this.server.stats;
    stats.netInputBytes += length;
    stats.totalReadsProcessed++;
    // One clock read for the idle clock, the expiry catch-up's time and the start of the
    // read's first command (command-timing.ts).
    const clock = this.server.clock;
    const started = clock.monotonic();
    this.client.lastInteraction = clock.wallAt(started);
    if (this.client.blocked || this.held !== null || this.client.parkedCommand !== null) {
      // Blocked or paused (or about to go on with what it sent meanwhile): kept, in order.
      this.hold(chunk, 0, length);
      return;
    }
    this.server.beginBatch(this, started);
    try {
      this.runBatch(chunk, length);
    } finally {
      this.server.endBatch();
    }
    // A full read: more is waiting. The rest of it waits for the next turn.
    if (length === chunk.length && this.adopted && !this.yielding && !this.closed && !this.closeAsap) {
      this.yielding = true;
      this.socket.pause();
      setImmediate(this.readAgain);
    }
  }

  /** Runs every command in chunk[0..length) and writes the replies. */
  private runBatch(chunk: Buffer, length: number): void {
    const result = this.parser.feed(chunk, this.sink, length);
    if (result === FeedResult.Stopped && this.client.blocked) {
      if (!this.hold(chunk, this.parser.stoppedAt, length)) return;
    } else if (result === FeedResult.ProtocolError) {
      // Replies to the commands before the error go first, then the error, then close.
      this.server.log('verbose', `Protocol error (${this.parser.error}) from client: ${this.remoteAddress}`);
      this.server.reply.error(this.parser.error);
      this.client.closeAfterReply = true;
    } else if (result === FeedResult.QueryBufferLimit) {
      this.server.reply.discard();
      this.server.log('warning', `Closing client that reached max query buffer length: addr=${this.remoteAddress}`);
      this.destroy();
      return;
    }
    this.flush();
  }

  /** Writes the replies encoded for this client, and closes after them if asked to. */
  flush(): void {
    // The read's last command ends here, before its replies are written (command-timing.ts).
    this.server.commandTimer.close();
    const closing = this.client.closeAfterReply;
    this.write(!closing);
    if (closing && !this.closed) {
      // Everything held or queued goes before the end of the stream (held replies of an
      // earlier read this turn, when this one answered nothing: CLIENT REPLY SKIP, QUIT).
      this.writeDeferred();
      this.closed = true;
      this.flushQueue();
      this.socket.end();
      // Read on (and drop) until the peer's FIN, which completes the close: closing with
      // unread input would reset the connection, and a reset can lose the reply on its way.
      this.lingering = true;
      this.socket.resume();
      this.server.clientClosed(this);
    }
  }

  /**
   * Input after the close: the peer is still sending, not reading (a client that did not
   * see its protocol error). Redis has closed the socket by now, so such a peer's writes
   * fail; lapse closes it too, once the reply has been handed to the kernel (not before:
   * that could lose it), instead of dropping the peer's input for as long as it sends.
   */
  private cutOff(): void {
    this.lingering = false;
    const socket = this.socket;
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  }

  /**
   * Writes what was encoded for this client; `later`: at the end of the turn (a read's
   * replies, unless the socket is full or pub/sub messages must go first).
   */
  private write(later = false): void {
    const out = this.server.reply.take();
    if (out === null || this.closed || this.replicaMode) return;
    if (later && this.pushes === null && !this.waitingDrain) {
      if (this.deferred === null) {
        this.deferred = out;
        this.server.writeLater(this);
      } else if (this.deferredMore === null) {
        this.deferredMore = [out];
      } else {
        this.deferredMore.push(out);
      }
      this.deferredBytes += out.length;
      this.checkOutputLimits();
      return;
    }
    let data: Buffer;
    if (this.pushes !== null) {
      // Messages queued before this batch (by the timer wheel, this very turn) precede
      // its replies, in the same write. Rare enough for a copy.
      this.pushes.push(out);
      data = Buffer.concat(this.pushes, this.pushBytes + out.length);
      this.pushes = null;
      this.pushBytes = 0;
    } else {
      // A view handed to a socket that cannot send it at once pins its whole slab until
      // sent; for a small reply behind others, a copy is cheaper (send() copies it into
      // the queue's blocks when the socket is full).
      if (out.length < COPY_BELOW && this.socket.writableLength > 0 && !this.waitingDrain) {
        data = Buffer.from(out);
        this.server.reply.release(out);
      } else {
        data = out;
      }
    }
    this.send(data);
    this.checkOutputLimits();
  }

  /**
   * Writes to the socket, counting the write, or queues the bytes while the socket is
   * full. The socket's own buffer would take them too, but as one Buffer and one entry
   * per write, each view pinning the encoder's slab; the queue holds small output
   * copied into blocks and hands it all over with one writev at 'drain'.
   */
  private send(data: Buffer, counted = true): void {
    // This turn's replies not written yet go first.
    if (this.deferred !== null) this.writeDeferred();
    const stats = this.server.stats;
    // The replication stream and RDB have their own counter (total_net_repl_output_bytes).
    if (counted) stats.netOutputBytes += data.length;
    if (!this.waitingDrain) {
      stats.totalWritesProcessed++;
      // Output counts as interaction, as in Redis's writeToClient: a subscriber fed
      // messages, a client just unblocked, is not idle (CLIENT LIST idle=, `timeout`).
      this.client.lastInteraction = Date.now();
      const direct = this.direct;
      if (direct !== null && this.socket.writableLength === 0) {
        const done = direct.write(data);
        if (done === DirectWrite.Done) {
          this.server.reply.release(data);
        } else {
          // Queued: the rest is libuv's until directDone(). Failed: the socket is
          // destroyed, as net.Socket destroys one whose write fails ('close' follows).
          this.waitingDrain = true;
          if (done === DirectWrite.Failed) this.socket.destroy();
        }
        return;
      }
      if (!this.socket.write(data)) this.waitingDrain = true;
      // A plain TCP socket whose write left nothing queued has handed every byte to the
      // kernel (libuv's try-write, completed before write() returned): the encoder may
      // fill that part of its slab again. (A TLS socket encrypts later: not released.)
      else if (this.adopted && this.socket.writableLength === 0) this.server.reply.release(data);
      return;
    }
    this.enqueue(data);
  }

  private enqueue(data: Buffer): void {
    this.queueBytes += data.length;
    if (data.length >= COPY_BELOW) {
      this.closeTail();
      // A view kept only while it fills most of its memory: an encoder buffer grown for
      // a large batch can be twice the view.
      this.queue.push(data.length * 4 >= data.buffer.byteLength * 3 ? data : Buffer.from(data));
      return;
    }
    let from = 0;
    while (from < data.length) {
      let tail = this.tail;
      if (tail === null || this.tailUsed === tail.length) {
        tail = this.tail = Buffer.allocUnsafeSlow(BLOCK_BYTES);
        this.tailUsed = 0;
        this.queue.push(tail);
      }
      const n = Math.min(data.length - from, tail.length - this.tailUsed);
      data.copy(tail, this.tailUsed, from, from + n);
      this.tailUsed += n;
      from += n;
    }
  }

  /** Ends the tail block at what it holds: nothing more is appended to it. */
  private closeTail(): void {
    if (this.tail === null) return;
    this.queue[this.queue.length - 1] = this.tail.subarray(0, this.tailUsed);
    this.tail = null;
  }

  /** Hands the queue to the socket: one writev. */
  private flushQueue(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.closeTail();
    this.queue = [];
    this.queueBytes = 0;
    const socket = this.socket;
    this.server.stats.totalWritesProcessed++;
    this.client.lastInteraction = Date.now();
    let ok = true;
    if (queue.length === 1) {
      ok = socket.write(queue[0]!);
    } else {
      socket.cork();
      for (const block of queue) ok = socket.write(block);
      socket.uncork();
    }
    if (!ok) this.waitingDrain = true;
  }

  /**
   * Hands the replies deferred this turn to the socket, with one write. The server calls
   * it once the turn's reads have run; so does anything written to this socket before.
   */
  writeDeferred(): void {
    const first = this.deferred;
    if (first === null) return;
    const more = this.deferredMore;
    const size = this.deferredBytes;
    this.deferred = null;
    this.deferredMore = null;
    this.deferredBytes = 0;
    if (this.closed || this.closeAsap) return;
    let data: Buffer;
    const reply = this.server.reply;
    if (more !== null) {
      data = Buffer.concat([first, ...more], size);
      reply.release(first);
      for (const part of more) reply.release(part);
    } else if (size < COPY_BELOW && this.socket.writableLength > 0 && !this.waitingDrain) {
      // A small reply behind unsent bytes is copied rather than pin a slab (see write()).
      data = Buffer.from(first);
      reply.release(first);
    } else {
      data = first;
    }
    this.send(data);
  }

  private dropQueue(): void {
    this.deferred = null;
    this.deferredMore = null;
    this.deferredBytes = 0;
    this.queue = [];
    this.tail = null;
    this.queueBytes = 0;
  }

  /** A direct write that went to libuv's queue has completed (ok false: it failed, or the socket closed). */
  private directDone(ok: boolean): void {
    if (!ok) {
      if (!this.closed) this.socket.destroy();
      return;
    }
    // Anything written through the socket after it goes out after it: its 'drain' comes then.
    if (this.direct!.pending === 0 && this.socket.writableLength === 0) this.onDrain();
  }

  private onDrain(): void {
    this.waitingDrain = false;
    if (this.closed || this.closeAsap) {
      this.wakeDrainWaiters();
      return;
    }
    if (this.queue.length > 0) this.flushQueue();
    // Everything was sent: the output is under any soft limit again.
    else this.softLimit.softLimitSince = 0;
    this.wakeDrainWaiters();
  }

  /** Closes at once, dropping anything unsent. */
  destroy(): void {
    this.pushes = null;
    this.pushBytes = 0;
    this.held = null;
    this.dropQueue();
    this.wakeDrainWaiters();
    if (this.closed) {
      this.socket.destroy();
      return;
    }
    this.closed = true;
    this.socket.destroy();
    this.server.clientClosed(this);
  }

  private onClose(): void {
    this.dropQueue();
    this.wakeDrainWaiters();
    if (!this.closed) {
      this.closed = true;
      this.server.clientClosed(this);
    }
  }
}

function formatAddress(address: string | undefined, port: number | undefined): string {
  if (!address) return '?:0';
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  // As Redis's anetFormatAddr: IPv6 addresses in brackets.
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
