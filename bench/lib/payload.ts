import crypto from 'node:crypto';

/**
 * Session-shaped data: 37-byte keys (`sess:` + 32 hex chars) and 230-byte JSON values,
 * as express-session stores them, encoded as RESP for `redis-cli --pipe`.
 */
export function sessionKey(i: number): string {
  return 'sess:' + crypto.createHash('md5').update(String(i)).digest('hex');
}

export function sessionValue(i: number): string {
  const base = JSON.stringify({
    cookie: { originalMaxAge: 86400000, expires: '2026-11-28T18:00:00.000Z', httpOnly: true, path: '/', sameSite: 'lax' },
    user: `user${i}`,
    visits: i % 100,
  });
  return (base + ' '.repeat(230)).slice(0, 230);
}

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** SET key value EX ttl for n sessions, as one RESP buffer. */
export function sessionsPayload(n: number, ttlSeconds = 86400): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(encode(['SET', sessionKey(i), sessionValue(i), 'EX', String(ttlSeconds)]));
  return Buffer.from(parts.join(''), 'latin1');
}

/** SET key v PXAT deadline, deadlines spread evenly over [start, start + spreadMs). */
export function expiringPayload(n: number, start: number, spreadMs: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + Math.floor((i * spreadMs) / n);
    parts.push(encode(['SET', `exp:${i}`, 'v', 'PXAT', String(at)]));
  }
  return Buffer.from(parts.join(''), 'latin1');
}
