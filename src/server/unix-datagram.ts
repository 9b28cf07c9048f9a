import { createRequire } from 'node:module';

/**
 * One datagram to an AF_UNIX datagram socket (systemd's NOTIFY_SOCKET, syslog's
 * /dev/log). Node has no unix datagram sockets, so this goes through the optional
 * native package unix-dgram; without it, sending fails with a reason the caller logs.
 */

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

/** unix-dgram, or why it cannot be loaded. require() caches it: no state of our own. */
export function loadUnixDgram(): UnixDgram | { error: string } {
  try {
    return createRequire(import.meta.url)('unix-dgram') as UnixDgram;
  } catch (e) {
    return { error: `the optional package unix-dgram could not be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}

/**
 * Sends `message` to the socket at `socketPath` from a socket of its own, closed right
 * after (as sd_notify does). Returns the reason it failed, or null once sent: unix-dgram
 * calls sendto(2) and its callback before send() returns, so the answer is immediate,
 * as sd_notify's. An abstract socket name ('@...') is not supported by unix-dgram.
 */
export function sendDatagram(socketPath: string, message: string | Buffer): string | null {
  if (socketPath.startsWith('@')) return `abstract socket names (${socketPath}) are not supported`;
  const lib = loadUnixDgram();
  if ('error' in lib) return lib.error;
  let socket: UnixDgramSocket;
  try {
    socket = lib.createSocket('unix_dgram');
  } catch (e) {
    return (e as Error).message;
  }
  socket.on('error', () => undefined);
  const buf = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
  let error: string | null = null;
  socket.send(buf, 0, buf.length, socketPath, (err) => {
    if (err) error = `${socketPath}: ${err.message}`;
  });
  try {
    socket.close();
  } catch {
    // Already closed: nothing to release.
  }
  return error;
}
