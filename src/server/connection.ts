import type net from 'node:net';
import { Client, type ClientTransport } from '../commands/context.js';
import { execute } from '../commands/dispatch.js';
import { FeedResult, RequestParser } from '../protocol/parser.js';
import type { LapseServer } from './server.js';

/** Encoded replies are written out once a batch has this many bytes (the writer's slab). */
const FLUSH_BYTES = 64 * 1024;
/** A reply smaller than this is copied rather than handed over as a view that pins a slab. */
const COPY_BELOW = 16 * 1024;
/**
 * Unsent bytes past which a pub/sub receiver is reported as not reading (Redis's default
 * hard client-output-buffer-limit for pubsub clients). Nothing is dropped: the limit
 * itself comes with client-output-buffer-limit.
 */
const PUSH_WARN_BYTES = 32 * 1024 * 1024;

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
  /** Reported as a pub/sub receiver that does not read (until its socket drains). */
  private slowReported = false;
  private readonly sink = (argv: string[]): boolean => {
    const client = this.client;
    const reply = this.server.reply;
    reply.protocol = client.protocol;
    execute(client, argv);
    this.parser.unauthenticated = !client.authenticated && this.server.authRequired;
    if (client.closeAfterReply || this.closed) return false;
    if (reply.pending >= FLUSH_BYTES) {
      this.write();
      return !this.blocked;
    }
    return true;
  };

  constructor(
    private readonly server: LapseServer,
    private readonly socket: net.Socket,
  ) {
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
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
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

  push(bytes: Buffer): void {
    if (this.closed) return;
    if (this.pushes === null) {
      this.pushes = [bytes];
      this.server.pushQueued(this);
    } else {
      this.pushes.push(bytes);
    }
    this.pushBytes += bytes.length;
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
    if (!this.slowReported && this.socket.writableLength > PUSH_WARN_BYTES) {
      this.slowReported = true;
      this.server.log(
        'warning',
        `Client id=${this.client.id} addr=${this.remoteAddress} is not reading its pub/sub messages: ` +
          `${this.socket.writableLength} bytes unsent and kept (see CLIENT LIST omem)`,
      );
    }
  }

  close(): void {
    this.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const stats = this.server.stats;
    stats.netInputBytes += chunk.length;
    stats.totalReadsProcessed++;
    this.client.lastInteraction = Date.now();
    this.process(chunk);
  }

  /** Runs the commands in chunk (a read, or the held rest of one) and writes the replies. */
  private process(chunk: Buffer): void {
    this.server.beginBatch(this);
    try {
      this.runBatch(chunk);
    } finally {
      this.server.endBatch();
    }
  }

  private runBatch(chunk: Buffer): void {
    const result = this.parser.feed(chunk, this.sink);
    if (result === FeedResult.Stopped) {
      if (this.blocked && !this.closed && !this.client.closeAfterReply && this.parser.stoppedAt < chunk.length) {
        this.held = chunk.subarray(this.parser.stoppedAt);
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
    this.slowReported = false;
    if (this.closed) return;
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.process(held);
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
