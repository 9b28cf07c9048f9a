import net from 'node:net';

/**
 * A replica that only reads (as `redis-cli --replica` without printing): SYNC, then the
 * RDB and the stream are read and dropped. It costs the primary what a replica costs it
 * (the full sync, the stream, its socket) without the CPU a real replica spends applying
 * the stream on the same machine, so a benchmark can tell the primary's own price.
 */
export async function sinkReplica(port: number): Promise<{ bytes(): number; close(): void }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let bytes = 0;
  socket.on('data', (d: Buffer) => {
    bytes += d.length;
  });
  socket.on('error', () => {});
  socket.write('SYNC\r\n');
  return { bytes: () => bytes, close: () => socket.destroy() };
}
