import http from 'node:http';
import type net from 'node:net';
import type { Config } from '../config/config.js';
import type { LogLevel } from './logger.js';
import { bindFailureSkips, bindFailureText, parseBindAddress, resolveBindAddress } from './bind.js';
import { formatHostPort, ListenError } from './listeners.js';

/** Prometheus's text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Scrapers connected at once; more wait in the kernel's backlog until one leaves. */
const MAX_CONNECTIONS = 16;
/** A scraper that has not sent its whole request head by then gets 408 and is closed. */
const HEADERS_TIMEOUT_MS = 5_000;
/** ... its whole request. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A connection with nothing going on (a scraper that stopped reading, an idle keep-alive) is closed after this. */
const IDLE_TIMEOUT_MS = 10_000;
/** How often Node checks the two request timeouts above (its default is 30 s). */
const CHECK_INTERVAL_MS = 1_000;

/** What the endpoint needs of its server. */
export interface MetricsHost {
  readonly config: Config;
  log(level: LogLevel, message: string): void;
  /** The metrics text now (small: built synchronously, between two commands). */
  metricsText(): string;
}

/**
 * The opt-in Prometheus endpoint (`metrics-port`, 0 = off): plain HTTP on every `bind`
 * address, GET /metrics answers the metrics text (HEAD: its headers), another method on
 * /metrics 405 with Allow, another path 404.
 *
 * A scraper never delays commands: the text is built synchronously in one turn of the
 * event loop (it is small) and handed to the socket, whose buffer holds it for a slow
 * reader; connections are capped, a scraper that stalls in its request is dropped after
 * HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS, one that stops reading after IDLE_TIMEOUT_MS.
 * close() closes the listeners and every connection.
 */
export class MetricsEndpoint {
  private readonly servers: http.Server[] = [];
  /** The port bound. */
  port = 0;

  constructor(private readonly host: MetricsHost) {}

  /**
   * Listens at port on every bind address as the client listeners do (bind.ts): an
   * optional address that is not available is skipped, any other failure closes what
   * was opened and throws a ListenError.
   */
  async open(port: number): Promise<void> {
    for (const entry of this.host.config.list('bind')) {
      const address = parseBindAddress(entry);
      try {
        const bound = await this.listenOne(await resolveBindAddress(address), port);
        port = this.port = bound;
      } catch (e) {
        const error = e as NodeJS.ErrnoException;
        const why = bindFailureText(error);
        this.host.log('warning', `Warning: Could not create the metrics endpoint's listening socket ${address.text}:${port}: ${why}`);
        if (bindFailureSkips(address, error.code)) continue;
        await this.close();
        throw new ListenError(`Could not listen on ${formatHostPort(address.text, port)} (metrics-port): ${why}`, error.code);
      }
    }
  }

  /** Every address listened on. */
  describe(): string[] {
    return this.servers.map((s) => {
      const a = s.address() as net.AddressInfo;
      return formatHostPort(a.address, a.port);
    });
  }

  private listenOne(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = http.createServer(
        { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: CHECK_INTERVAL_MS, keepAliveTimeout: 5_000 },
        (req, res) => this.serve(req, res),
      );
      server.maxConnections = MAX_CONNECTIONS;
      server.timeout = IDLE_TIMEOUT_MS;
      server.once('error', reject);
      server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.host.log('warning', `Metrics endpoint error: ${e.message}`));
        server.on('clientError', (_e, socket) => socket.destroy());
        this.servers.push(server);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
      return;
    }
    const body = Buffer.from(this.host.metricsText(), 'utf8');
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}
