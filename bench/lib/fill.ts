import net from 'node:net';

/**
 * Writes `count` SETs of `value` to 127.0.0.1:port, `batch` commands at a time, and
 * reads every reply before the next batch (each is one line: +OK or an error such as
 * -OOM). onBatch(i) runs after each batch is answered. Resolves with the counts.
 */
export async function pipelinedSets(
  port: number,
  count: number,
  key: (i: number) => string,
  value: Buffer,
  batch: number,
  onBatch: (i: number) => void = () => {},
): Promise<{ ok: number; errors: number; firstError: string }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending = '';
  let waiting = 0;
  let wake: (() => void) | null = null;
  const result = { ok: 0, errors: 0, firstError: '' };
  socket.on('data', (d: Buffer) => {
    pending += d.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 2);
      if (line.startsWith('+')) result.ok++;
      else {
        result.errors++;
        result.firstError ||= line;
      }
      waiting--;
    }
    if (waiting === 0 && wake) wake();
  });
  const header = (s: string) => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
  const valueHeader = Buffer.from(`$${value.length}\r\n`, 'latin1');
  const crlf = Buffer.from('\r\n', 'latin1');
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const parts: Buffer[] = [];
    for (let j = i; j < i + n; j++) parts.push(Buffer.from(`*3\r\n$3\r\nSET\r\n${header(key(j))}`, 'latin1'), valueHeader, value, crlf);
    waiting = n;
    const answered = new Promise<void>((resolve) => (wake = resolve));
    socket.write(Buffer.concat(parts));
    await answered;
    wake = null;
    onBatch(i);
  }
  socket.destroy();
  return result;
}
