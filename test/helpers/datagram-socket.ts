import { spawn, type ChildProcess } from 'node:child_process';

/** A datagram reader on an AF_UNIX socket path (systemd's NOTIFY_SOCKET, /dev/log) for tests. */
export interface DatagramSocket {
  /** The python3 process that reads (for the caller's clean-up list). */
  readonly process: ChildProcess;
  /** Every datagram received so far, as latin1 text. */
  messages(): string[];
  /** Resolves once a datagram equal to m has arrived (rejects after timeoutMs). */
  waitFor(m: string, timeoutMs?: number): Promise<void>;
  /** Resolves once n datagrams have arrived (rejects after timeoutMs). */
  waitForCount(n: number, timeoutMs?: number): Promise<void>;
  /** Stops reading: the socket's reader is gone (senders then get ECONNREFUSED). */
  close(): Promise<void>;
}

/**
 * Binds an AF_UNIX datagram socket at socketPath and reads it. Node has no unix datagram
 * sockets, so python3 binds it and prints each datagram as one JSON line; resolves once
 * it is bound.
 */
export async function datagramSocket(socketPath: string): Promise<DatagramSocket> {
  const script = [
    'import json, socket',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    `s.bind(${JSON.stringify(socketPath)})`,
    'print("bound", flush=True)',
    'while True: print(json.dumps(s.recv(65536).decode("latin1")), flush=True)',
  ].join('\n');
  const py = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  py.stdout!.on('data', (d) => (out += d));
  const messages = () => out.split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as string);
  const until = (done: () => boolean, what: () => string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        py.stdout!.off('data', check);
        resolve();
      };
      const timer = setTimeout(() => {
        py.stdout!.off('data', check);
        reject(new Error(`${what()}; got ${JSON.stringify(messages())}`));
      }, timeoutMs);
      py.stdout!.on('data', check);
      check();
    });
  await until(() => out.startsWith('bound\n'), () => `python3 did not bind ${socketPath}`, 15_000);
  return {
    process: py,
    messages,
    waitFor: (m, timeoutMs = 15_000) => until(() => messages().includes(m), () => `no ${JSON.stringify(m)}`, timeoutMs),
    waitForCount: (n, timeoutMs = 15_000) => until(() => messages().length >= n, () => `fewer than ${n} datagrams`, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        if (py.exitCode !== null || py.signalCode !== null) return resolve();
        py.once('exit', () => resolve());
        py.kill('SIGTERM');
      }),
  };
}
