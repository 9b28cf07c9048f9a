import type net from 'node:net';
import { adopt } from './shared-read.js';
import { Client, type ClientTransport } from '../commands/context.js';
import { clientInfoLine } from '../commands/client-info.js';
import { execute } from '../commands/dispatch.js';
import { FeedResult, RequestParser } from '../protocol/parser.js';
import type { LapseServer } from './server.js';

/** Encoded replies are written out once a batch has this many bytes (the writer's slab). */
const FLUSH_BYTES = 64 * 1024;
/** A reply smaller than this is copied rather than handed over as a view that pins a slab. */
const COPY_BELOW = 16 * 1024;
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
 * socket write; only a batch whose replies pass FLUSH_BYTES is written in pieces.
 * When the socket cannot take more (write returns false), the connection stops
 * executing commands, even in the middle of a read: it keeps the unparsed rest of that
 * read, pauses reading, and goes on after 'drain'. So a client that pipelines without
 * reading costs about one flush of replies plus the kernel buffers, never an
 * unbounded queue.
 *
 * Pub/sub messages sent to this client while another client's commands run are
 * queued (push) and written with one write when that batch ends; messages queued
 * before this client's own batch are written before its replies.
 */
export class Connection implements ClientTransport {
  readonly client: Client;
  readonly parser: RequestParser;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly fd: number;
  private closed = false;
  /** The socket's buffer is full: no command runs until 'drain'. */
  private blocked = false;
  /** The unparsed rest of a read that was stopped because the socket was full. */
  private held: Buffer | null = null;
  /** Pub/sub messages waiting for the end of the batch that produced them. */
  private pushes: Buffer[] | null = null;
  private pushBytes = 0;
  /**
   * When the output buffer went over its class's soft limit (Unix seconds; 0 while under
   * it): Redis's obuf_soft_limit_reached_time.
   */
  private softLimitSince = 0;
  /** Over an output buffer limit: nothing more is read, run or queued; closed after the batch. */
  private closeAsap = false;
  private readonly sink = (argv: string[]): boolean => {
    const client = this.client;
    const reply = this.server.reply;
    reply.protocol = client.protocol;
    execute(client, argv);
    this.parser.unauthenticated = !client.authenticated && this.server.authRequired;
    if (client.closeAfterReply || this.closed || this.closeAsap) return false;
    if (reply.pending >= FLUSH_BYTES) {
      this.write();
      return !this.blocked && !this.closeAsap;
    }
    return true;
  };

  private readonly socket: net.Socket;

  /**
   * A plain TCP socket comes paused (the server accepts with pauseOnConnect) and is read
   * into the shared read buffer (shared-read.ts); a TLS socket, or one this Node cannot
   * adopt, is read with 'data'.
   */
  constructor(
    private readonly server: LapseServer,
    accepted: net.Socket,
  ) {
    const adopted = (accepted as { encrypted?: boolean }).encrypted
      ? null
      : adopt(accepted, (buffer, length) => this.onData(buffer, length));
    const socket = adopted ?? accepted;
    this.socket = socket;
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    // A TLS socket wraps the TCP socket that holds the descriptor.
    type Handle = { _handle?: { fd?: number }; _parent?: Handle };
    const handle = socket as unknown as Handle;
    this.fd = handle._handle?.fd ?? handle._parent?._handle?.fd ?? -1;
    this.client = new Client(server, this);
    this.parser = new RequestParser(server.parserLimits);
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

  queryBufferLength(): number {
    return this.parser.pendingBytes + (this.held?.length ?? 0);
  }

  outputBufferLength(): number {
    return this.socket.writableLength + this.pushBytes;
  }

  pendingArgvLength(): number {
    return this.parser.pendingArgvBytes;
  }

  fixedMemory(): number {
    return CONNECTION_BYTES + this.parser.bufferCapacity - this.parser.pendingBytes;
  }

  get closingAsap(): boolean {
    return this.closeAsap;
  }

  push(bytes: Buffer): void {
    if (this.closed || this.closeAsap) return;
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
        : size < COPY_BELOW && this.socket.writableLength > 0 ? Buffer.from(pushes[0]!) : pushes[0]!;
    this.send(data);
  }

  /**
   * Redis's checkClientOutputBufferLimits, after anything is added to this client's
   * output: the limits of its class (pubsub while subscribed, else normal) apply to the
   * bytes not sent yet. Over the hard limit, or over the soft limit for longer than its
   * seconds, the client is closed once the current batch is over, with Redis's log line,
   * and what it was not sent is dropped. A normal client that stops reading is also
   * bounded without limits: its commands stop running while its socket is full.
   */
  private checkOutputLimits(): void {
    const limits = this.server.outputLimits;
    const limit = this.client.subscriptions !== null ? limits.pubsub : limits.normal;
    if (limit.hard === 0 && limit.soft === 0) return;
    const used = this.socket.writableLength + this.pushBytes;
    const hard = limit.hard !== 0 && used >= limit.hard;
    let soft = false;
    if (limit.soft !== 0 && used >= limit.soft) {
      const now = Math.floor(this.server.clock.now() / 1000);
      if (this.softLimitSince === 0) this.softLimitSince = now;
      else soft = now - this.softLimitSince > limit.softSeconds;
    } else {
      this.softLimitSince = 0;
    }
    if (!hard && !soft) return;
    this.closeAsap = true;
    this.server.log(
      'warning',
      `Client ${clientInfoLine(this.client, Date.now(), 0)} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    this.pushes = null;
    this.pushBytes = 0;
    this.held = null;
    this.socket.pause();
    // Not now: the client may be in the middle of a delivery loop or of its own batch.
    setImmediate(() => this.destroy());
  }

  close(): void {
    this.destroy();
  }

  /** A read: chunk[0..length); chunk may be the shared read buffer, reused after this call. */
  private onData(chunk: Buffer, length: number): void {
    if (this.closed || this.closeAsap) return;
    const stats = this.server.stats;
    stats.netInputBytes += length;
    stats.totalReadsProcessed++;
    this.client.lastInteraction = Date.now();
    this.process(chunk, length);
  }

  /** Runs the commands in chunk[0..length) (a read, or the held rest of one) and writes the replies. */
  private process(chunk: Buffer, length: number): void {
    this.server.beginBatch(this);
    try {
      this.runBatch(chunk, length);
    } finally {
      this.server.endBatch();
    }
  }

  private runBatch(chunk: Buffer, length: number): void {
    const result = this.parser.feed(chunk, this.sink, length);
    if (result === FeedResult.Stopped) {
      if (this.blocked && !this.closed && !this.closeAsap && !this.client.closeAfterReply && this.parser.stoppedAt < length) {
        // A copy: the read buffer is shared and reused by the next read of any client.
        this.held = Buffer.from(chunk.subarray(this.parser.stoppedAt, length));
      }
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
    this.write();
    if (this.client.closeAfterReply && !this.closed) {
      this.closed = true;
      this.held = null;
      this.socket.end();
      // Read on (and drop) until the peer's FIN, which completes the close: a socket
      // paused because it was full would otherwise never see it and stay open.
      this.socket.resume();
      this.server.clientClosed(this);
    }
  }

  private write(): void {
    const out = this.server.reply.take();
    if (out === null || this.closed) return;
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
      // sent; for a small reply behind others, a copy is cheaper.
      data = out.length < COPY_BELOW && this.socket.writableLength > 0 ? Buffer.from(out) : out;
    }
    if (!this.send(data) && !this.blocked) {
      this.blocked = true;
      this.socket.pause();
    }
    this.checkOutputLimits();
  }

  /** Writes to the socket, counting the write; false if the socket's buffer is full. */
  private send(data: Buffer): boolean {
    const stats = this.server.stats;
    stats.netOutputBytes += data.length;
    stats.totalWritesProcessed++;
    return this.socket.write(data);
  }

  private onDrain(): void {
    this.blocked = false;
    // Everything was sent: the output is under any soft limit again.
    this.softLimitSince = 0;
    if (this.closed || this.closeAsap) return;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.process(held, held.length);
      if (this.blocked || this.closed) return;
    }
    this.socket.resume();
  }

  /** Closes at once, dropping anything unsent. */
  destroy(): void {
    this.held = null;
    this.pushes = null;
    this.pushBytes = 0;
    if (this.closed) {
      this.socket.destroy();
      return;
    }
    this.closed = true;
    this.socket.destroy();
    this.server.clientClosed(this);
  }

  private onClose(): void {
    this.held = null;
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
