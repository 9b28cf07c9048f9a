import net from 'node:net';

/**
 * Reading plain TCP connections into one buffer per server.
 *
 * A net.Socket read with 'data' costs, per read, a new 64 KiB ArrayBuffer (malloc,
 * JSArrayBuffer setup, later the young-generation ArrayBuffer sweeper) and a pass through
 * the Readable machinery (push, addChunk, emit, maybeReadMore's nextTick). net.Socket's
 * documented `onread: { buffer, callback }` option instead has libuv read straight into
 * a buffer we own and calls back with the byte count, synchronously. Commands are run
 * from the read at once and the parser keeps only copies (latin1 strings, an exact-size
 * buffer for a split bulk, a copied header line), so one buffer serves every connection
 * of a server (the server owns it: newReadBuffer; servers in one process share nothing).
 *
 * The option exists only for sockets we construct; net.Server makes the accepted ones.
 * So the server accepts paused (`pauseOnConnect`: nothing has been read yet) and the
 * accepted handle is handed to a new net.Socket built with the option; the server's
 * connection count moves with it (it is decremented when the new socket is destroyed,
 * so close() still waits for every client). Where this Node's net.Socket does not look
 * as expected, adopt() returns null and the caller reads with 'data'.
 *
 * Measured (redis-benchmark -c 50 -d 230 -r 100000 -P 1, GET, node 20, medians of 5):
 * see the commit that introduced this file.
 */

/**
 * A server's read buffer: every connection it adopts reads into it, and a read is
 * consumed (its commands run, what is kept copied) before the next.
 */
export function newReadBuffer(): Buffer {
  return Buffer.allocUnsafe(64 * 1024);
}

/** Called with the read buffer and the number of bytes read into it. */
export type ReadCallback = (buffer: Buffer, length: number) => void;

interface SocketInternals {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown } | null;
  _server?: net.Server | null;
  server?: net.Server | null;
}

/**
 * A net.Socket that owns the accepted, paused socket's handle and delivers its reads to
 * onRead from `buffer` (its server's read buffer); or null if this Node does not allow it (the socket is
 * then untouched). The old socket object must not be used afterwards.
 */
export function adopt(socket: net.Socket, buffer: Buffer, onRead: ReadCallback): net.Socket | null {
  const old = socket as unknown as SocketInternals;
  const handle = old._handle;
  if (
    handle == null ||
    typeof handle.useUserBuffer !== 'function' ||
    !('_server' in old) ||
    !socket.isPaused() ||
    socket.destroyed
  ) {
    return null;
  }
  const server = old._server ?? null;
  // The old socket lets go of the handle and of the connection count.
  old._handle = null;
  old._server = null;
  // `handle` is an undocumented option of net.Socket (net.Server uses it for accepted sockets).
  const options = {
    handle,
    allowHalfOpen: socket.allowHalfOpen,
    readable: true,
    writable: true,
    onread: {
      buffer,
      callback: (nread: number): boolean => {
        onRead(buffer, nread);
        // Never "stop" through here: the connection pauses the socket itself.
        return true;
      },
    },
  };
  const adopted = new net.Socket(options as net.SocketConstructorOpts);
  const internals = adopted as unknown as SocketInternals;
  internals._server = server;
  internals.server = server;
  return adopted;
}
