import net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config/config.js';
import type { ParamValue } from '../config/params.js';
import type { LogLevel } from './logger.js';
import { TlsConfigError, TlsSessionCache, tlsSettings, type TlsSettings } from './tls.js';
import { bindFailureSkips, bindFailureText, parseBindAddress, resolveBindAddress } from './bind.js';

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

/** What the listeners need of their server. */
export interface ListenerHost {
  readonly config: Config;
  log(level: LogLevel, message: string): void;
  /** A client connected (a TLS one once its handshake and certificate passed). */
  accept(socket: net.Socket): void;
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

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A server's listening sockets: TCP at `port` and TLS at `tls-port` on every `bind`
 * address (Redis's listenToPort), the TLS settings they use and their changes by CONFIG
 * SET, and the TLS client-certificate check. What happens to an accepted client is the
 * server's (ListenerHost.accept).
 */
export class Listeners {
  private readonly all: net.Server[] = [];
  /** The TLS listeners (also in `all`), and what they were configured with. */
  private readonly tlsServers: tls.Server[] = [];
  private tls: TlsSettings | null = null;
  /** New TLS settings, checked by validateTls, for the listeners once the change applies. */
  private pendingTls: TlsSettings | null = null;
  private readonly tlsSessions: TlsSessionCache;
  /** The TCP port bound (0: none). */
  port = 0;
  /** The TLS port bound (0: none). */
  tlsPort = 0;

  constructor(private readonly host: ListenerHost) {
    this.tlsSessions = new TlsSessionCache(
      () => host.config.number('tls-session-cache-size'),
      () => host.config.number('tls-session-cache-timeout'),
    );
  }

  get listening(): boolean {
    return this.all.length !== 0;
  }

  /** Reads the TLS settings when tls-port is set; a ListenError if they do not work. */
  configureTls(): void {
    if (this.host.config.number('tls-port') === 0) return;
    try {
      this.tls = tlsSettings((name) => this.host.config.get(name));
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      this.host.log('warning', e.message);
      this.host.log('warning', 'Failed to configure TLS. Check logs for more info.');
      throw new ListenError('Failed to configure TLS. Check logs for more info.', undefined);
    }
  }

  /**
   * Listens on every `bind` address at `port` (0 picks a free port, the same for all
   * addresses), and at `tls-port` with TLS if set. As in Redis, `port 0` with a TLS port
   * means TLS only, and a server left with no listener at all (every address skipped, or
   * `bind ""`) does not start. Resolves with the first address.
   */
  async open(): Promise<ListenAddress> {
    const config = this.host.config;
    const tlsPort = config.number('tls-port');
    let first: ListenAddress | null = null;
    const port = config.number('port');
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
      this.host.log('warning', 'Configured to not listen anywhere, exiting.');
      throw new ListenError('Configured to not listen anywhere, exiting.', undefined);
    }
    return first;
  }

  /** Every address listened on, as the "Ready to accept connections" line names them. */
  describe(): string[] {
    return this.all.map((l) => {
      const a = l.address() as net.AddressInfo;
      return formatHostPort(a.address, a.port) + (l instanceof tls.Server ? ' (tls)' : '');
    });
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
    for (const entry of this.host.config.list('bind')) {
      const address = parseBindAddress(entry);
      try {
        const bound = await this.listenOne(await resolveBindAddress(address), port, secure);
        port = bound.port;
        first ??= bound;
      } catch (e) {
        const error = e as NodeJS.ErrnoException;
        const why = bindFailureText(error);
        this.host.log('warning', `Warning: Could not create server TCP listening socket ${address.text}:${port}: ${why}`);
        if (bindFailureSkips(address, error.code)) continue;
        await this.close();
        this.host.log('warning', `Failed listening on port ${port} (${secure ? 'TLS' : 'TCP'}), aborting.`);
        throw new ListenError(`Could not listen on ${formatHostPort(address.text, port)}: ${why}`, error.code);
      }
    }
    return first;
  }

  private listenOne(host: string, port: number, secure: boolean): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      let srv: net.Server;
      if (secure) {
        const tlsServer = tls.createServer(this.tls!.options, (socket) => this.acceptTls(socket));
        // A failed handshake (no client certificate when one is required, a plain-text
        // client): the connection never reaches the server, as in Redis.
        tlsServer.on('tlsClientError', (e, socket) => {
          this.host.log('verbose', `Error accepting a client connection: ${e.message}`);
          socket.destroy();
        });
        this.tlsSessions.attach(tlsServer, () => this.host.config.bool('tls-session-caching'));
        this.tlsServers.push(tlsServer);
        srv = tlsServer;
      } else {
        // Paused: an accepted connection is re-wrapped to read into the server's read
        // buffer before anything is read (src/server/shared-read.ts).
        srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.host.accept(socket));
      }
      srv.once('error', reject);
      srv.listen({ host, port, backlog: this.host.config.number('tcp-backlog'), ipv6Only: host.includes(':') }, () => {
        srv.off('error', reject);
        srv.on('error', (e) => this.host.log('warning', `Listener error: ${e.message}`));
        this.all.push(srv);
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
        this.host.log('verbose', `Error accepting a client connection: ${String(socket.authorizationError ?? 'no certificate')}`);
        refuseTls(socket);
        return;
      }
    }
    this.host.accept(socket);
  }

  /**
   * CONFIG SET of TLS parameters while TLS is in use: the new settings must work, or
   * nothing changes (Redis's applyTlsCfg). They then apply to new connections.
   */
  validateTls(pending: ReadonlyMap<string, ParamValue>): { name: string; reason: string } | null {
    if (this.tls === null) return null;
    const changed = [...pending.keys()].find((name) => name.startsWith('tls-'));
    if (changed === undefined) return null;
    try {
      this.pendingTls = tlsSettings((name) => (pending.has(name) ? pending.get(name)! : this.host.config.get(name)));
      return null;
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      this.host.log('warning', e.message);
      return { name: changed, reason: 'Unable to update TLS configuration. Check server logs.' };
    }
  }

  /** Gives the TLS listeners the settings validateTls checked, if any (new connections get them). */
  applyPendingTls(): void {
    if (this.pendingTls === null) return;
    this.tls = this.pendingTls;
    this.pendingTls = null;
    const { requestCert, rejectUnauthorized } = this.tls.options;
    for (const l of this.tlsServers) {
      l.setSecureContext(this.tls.options);
      // Not part of the secure context: each new connection reads them from the server.
      Object.assign(l, { requestCert: requestCert === true, rejectUnauthorized: rejectUnauthorized !== false });
    }
    this.tlsSessions.clear();
  }

  /** Stops listening (connections already accepted stay open). */
  async close(): Promise<void> {
    this.tlsServers.length = 0;
    const all = this.all.splice(0);
    await Promise.all(all.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
  }
}
