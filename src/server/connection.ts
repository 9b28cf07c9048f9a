import type net from 'node:net';
import { Client, type ClientTransport } from '../commands/context.js';
import { execute } from '../commands/dispatch.js';
import { FeedResult, RequestParser } from '../protocol/parser.js';
import type { LapseServer } from './server.js';

/**
 * One client socket: bytes in, parsed commands to the dispatcher, replies out.
 *
 * All replies to one read are encoded into the shared writer and written with one
 * socket write. If the socket cannot take more (write returns false), reading pauses
 * until it drains, so a client that sends without reading holds at most one read's
 * worth of replies plus the kernel buffers, never an unbounded queue.
 */
export class Connection implements ClientTransport {
  readonly client: Client;
  readonly parser: RequestParser;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly fd: number;
  private closed = false;
  private readonly sink = (argv: string[]): boolean => {
    execute(this.client, argv);
    return !this.client.closeAfterReply && !this.closed;
  };

  constructor(
    private readonly server: LapseServer,
    private readonly socket: net.Socket,
  ) {
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    this.client = new Client(server, this);
    this.parser = new RequestParser(server.parserLimits);
    this.parser.unauthenticated = !this.client.authenticated && server.authRequired;
    socket.setNoDelay(true);
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      if (!this.closed) socket.resume();
    });
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  queryBufferLength(): number {
    return this.parser.pendingBytes;
  }

  outputBufferLength(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const server = this.server;
    const client = this.client;
    server.stats.netInputBytes += chunk.length;
    server.stats.totalReadsProcessed++;
    client.lastInteraction = Date.now();
    const reply = server.reply;
    reply.protocol = client.protocol;
    const result = this.parser.feed(chunk, this.sink);
    if (result === FeedResult.ProtocolError) {
      // Replies to the commands before the error go first, then the error, then close.
      server.log('verbose', `Protocol error (${this.parser.error}) from client: ${this.remoteAddress}`);
      reply.error(this.parser.error);
      client.closeAfterReply = true;
    } else if (result === FeedResult.QueryBufferLimit) {
      reply.discard();
      server.log('warning', `Closing client that reached max query buffer length: addr=${this.remoteAddress}`);
      this.destroy();
      return;
    }
    this.parser.unauthenticated = !client.authenticated && server.authRequired;
    this.flush();
  }

  /** Writes the replies encoded for this client, once. */
  flush(): void {
    const out = this.server.reply.take();
    if (out !== null && !this.closed) {
      this.server.stats.netOutputBytes += out.length;
      this.server.stats.totalWritesProcessed++;
      // A view of the shared slab is safe to hand over only if the socket writes it at
      // once; behind earlier pending data it would pin the slab, so copy it instead.
      const data = this.socket.writableLength === 0 ? out : Buffer.from(out);
      if (!this.socket.write(data)) this.socket.pause();
    }
    if (this.client.closeAfterReply && !this.closed) {
      this.closed = true;
      this.socket.end();
      this.server.clientClosed(this);
    }
  }

  /** Closes at once, dropping anything unsent. */
  destroy(): void {
    if (this.closed) {
      this.socket.destroy();
      return;
    }
    this.closed = true;
    this.socket.destroy();
    this.server.clientClosed(this);
  }

  private onClose(): void {
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
