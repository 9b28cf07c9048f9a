import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type LapseServer } from 'lapse';
import { createDemoApp } from './app.js';
import { connectBackend, type ClientKind, type SessionBackend } from './store.js';

export interface DemoOptions {
  /** redis://host:port of a running lapse; without it the demo starts lapse itself. */
  lapseUrl?: string;
  /** Port of the lapse the demo starts (0: a free one). */
  lapsePort?: number;
  /** Directory for snapshots of the lapse the demo starts; without it that lapse is volatile. */
  lapseDir?: string;
  /** HTTP port of the app (0: a free one). */
  port?: number;
  host?: string;
  client?: ClientKind;
  secret: string;
  password: string;
  passwordHint?: string;
  maxAgeMs: number;
  onError?: (message: string) => void;
}

export interface RunningDemo {
  /** The app's address, e.g. http://127.0.0.1:3000/ */
  url: string;
  lapseUrl: string;
  /** The lapse started by the demo itself, if any. */
  lapse: LapseServer | null;
  backend: SessionBackend;
  /** Stops the app, the store client and the lapse it started (saving first if it has a dir). */
  close(): Promise<void>;
}

/** Starts lapse (unless given a URL), the store client, and the app on HTTP. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  let lapse: LapseServer | null = null;
  let lapseUrl = options.lapseUrl;
  if (lapseUrl === undefined) {
    // Embedded lapse: volatile unless given a directory, where it snapshots every
    // minute after a change and on close, and which it loads at start.
    lapse = createServer({
      port: options.lapsePort ?? 0,
      bind: '127.0.0.1',
      ...(options.lapseDir === undefined ? {} : { save: '60 1', dir: options.lapseDir }),
    });
    const address = await lapse.listen();
    lapseUrl = `redis://${address.host}:${address.port}`;
  }
  let backend: SessionBackend | undefined;
  let server: http.Server | undefined;
  try {
    backend = await connectBackend({ url: lapseUrl, kind: options.client, onError: options.onError });
    const app = createDemoApp({
      backend,
      secret: options.secret,
      password: options.password,
      passwordHint: options.passwordHint,
      maxAgeMs: options.maxAgeMs,
    });
    server = http.createServer(app);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const started = { server, backend };
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
      lapseUrl,
      lapse,
      backend,
      close: async () => {
        started.server.closeAllConnections();
        await new Promise<void>((resolve) => started.server.close(() => resolve()));
        await started.backend.close();
        await stopLapse(lapse);
      },
    };
  } catch (e) {
    server?.close();
    await backend?.close();
    await stopLapse(lapse);
    throw e;
  }
}

async function stopLapse(lapse: LapseServer | null): Promise<void> {
  if (!lapse) return;
  // As SIGTERM does for the CLI: the final snapshot first, when there are save points.
  if (!(await lapse.shutdownOnSignal('SIGTERM'))) await lapse.close();
}
