import type net from 'node:net';

/**
 * Writing to a plain TCP connection straight through its libuv handle.
 *
 * net.Socket#write goes through the Writable machinery before it reaches the handle:
 * writeOrBuffer, _write, _writeGeneric, a WriteWrap, afterWriteDispatched, the write
 * callback's bookkeeping (onwrite, afterWrite through process.nextTick when sync). The
 * handle's own writeBuffer(req, buffer) is what net.Socket ends in; calling it directly
 * saved 0.6 us of server user time per GET at -P 1 (8.3 -> 7.7 us, redis-benchmark
 * -c 50, medians of 5), 2% of a pipelined PING's (the write(2) itself and node's C++
 * stream code stay). libuv tries the write at once and reports through
 * streamBaseState whether any bytes were left queued (an async write, completed by the
 * request's oncomplete). A connection that writes only through here and through the
 * socket in order keeps its bytes in order: both go to the same libuv write queue.
 *
 * process.binding('stream_wrap') is deprecated (DEP0111) but present in node 20; where
 * anything about it is not as expected, directWriter() returns null and the caller
 * writes with socket.write().
 */

interface WriteRequest {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
  buffer: Buffer | null;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Buffer): number;
  writeQueueSize: number;
}

/** The binding (a constant of the process: nothing in it is per server), or null. */
const binding: StreamWrapBinding | null = loadBinding();

function loadBinding(): StreamWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return null;
    return b as StreamWrapBinding;
  } catch {
    return null;
  }
}

/** What a write through the handle did. */
export const enum DirectWrite {
  /** Every byte went to the kernel before write() returned: the buffer may be reused. */
  Done,
  /** Some bytes wait in libuv's queue: the buffer is held until onComplete. */
  Queued,
  /** The write failed (the peer is gone): the connection should be destroyed. */
  Failed,
}

/**
 * Writes to one socket's handle. onComplete(ok) is called when a Queued write has
 * finished (ok false: it failed, or the socket was closed first).
 */
export class DirectWriter {
  /** Queued writes not completed yet. */
  pending = 0;

  constructor(
    private readonly handle: StreamHandle,
    private readonly b: StreamWrapBinding,
    private readonly onComplete: (ok: boolean) => void,
  ) {}

  write(data: Buffer): DirectWrite {
    const req = new this.b.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = this.completed;
    req.async = false;
    req.buffer = null;
    const err = this.handle.writeBuffer(req, data);
    if (err !== 0) return DirectWrite.Failed;
    if (this.b.streamBaseState[this.b.kLastWriteWasAsync] === 0) return DirectWrite.Done;
    // libuv holds a pointer into data until the request completes.
    req.buffer = data;
    req.async = true;
    this.pending++;
    return DirectWrite.Queued;
  }

  /** Bytes libuv holds queued for this socket (all of them the direct writes' while pending > 0). */
  get queuedBytes(): number {
    return this.pending > 0 ? this.handle.writeQueueSize : 0;
  }

  private readonly completed = (status: number): void => {
    this.pending--;
    this.onComplete(status >= 0);
  };
}

/**
 * A DirectWriter for a plain TCP socket that has a handle able to take it, or null (a
 * TLS socket, or a node whose internals differ: the caller uses socket.write()).
 */
export function directWriter(socket: net.Socket, onComplete: (ok: boolean) => void): DirectWriter | null {
  if (binding === null) return null;
  const handle = (socket as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle == null || typeof handle.writeBuffer !== 'function' || typeof handle.writeQueueSize !== 'number') return null;
  return new DirectWriter(handle as StreamHandle, binding, onComplete);
}
