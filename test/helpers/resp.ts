/**
 * A client-side RESP2/RESP3 reply decoder for tests and scripts: finds where one reply
 * ends (so replies can be compared byte for byte, one per command) and decodes it.
 */

export type Reply =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: Buffer }
  | { type: 'null' }
  | { type: 'nullbulk' }
  | { type: 'nullarray' }
  | { type: 'array'; value: Reply[] }
  | { type: 'set'; value: Reply[] }
  | { type: 'push'; value: Reply[] }
  | { type: 'map'; value: [Reply, Reply][] }
  | { type: 'attribute'; value: [Reply, Reply][]; reply: Reply }
  | { type: 'double'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'verbatim'; format: string; value: Buffer }
  | { type: 'bignum'; value: string };

/** Decodes one reply at offset; null if the buffer ends before the reply does. */
export function decodeReply(buf: Buffer, offset = 0): { reply: Reply; end: number } | null {
  if (offset >= buf.length) return null;
  const type = buf[offset]!;
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const line = buf.toString('latin1', offset + 1, lineEnd);
  let pos = lineEnd + 2;
  const aggregate = (n: number): { items: Reply[]; end: number } | null => {
    const items: Reply[] = [];
    for (let i = 0; i < n; i++) {
      const r = decodeReply(buf, pos);
      if (!r) return null;
      items.push(r.reply);
      pos = r.end;
    }
    return { items, end: pos };
  };
  switch (type) {
    case 0x2b: return { reply: { type: 'simple', value: line }, end: pos };
    case 0x2d: return { reply: { type: 'error', value: line }, end: pos };
    case 0x3a: return { reply: { type: 'integer', value: BigInt(line) }, end: pos };
    case 0x5f: return { reply: { type: 'null' }, end: pos };
    case 0x2c: return { reply: { type: 'double', value: line }, end: pos };
    case 0x23: return { reply: { type: 'boolean', value: line === 't' }, end: pos };
    case 0x28: return { reply: { type: 'bignum', value: line }, end: pos };
    case 0x24:
    case 0x3d:
    case 0x21: {
      const n = Number(line);
      if (n < 0) return { reply: { type: 'nullbulk' }, end: pos };
      if (buf.length < pos + n + 2) return null;
      const data = Buffer.from(buf.subarray(pos, pos + n));
      const end = pos + n + 2;
      if (type === 0x3d) {
        return { reply: { type: 'verbatim', format: data.toString('latin1', 0, 3), value: data.subarray(4) }, end };
      }
      if (type === 0x21) return { reply: { type: 'error', value: data.toString('latin1') }, end };
      return { reply: { type: 'bulk', value: data }, end };
    }
    case 0x2a:
    case 0x7e:
    case 0x3e: {
      const n = Number(line);
      if (n < 0) return { reply: { type: 'nullarray' }, end: pos };
      const r = aggregate(n);
      if (!r) return null;
      const t = type === 0x2a ? 'array' : type === 0x7e ? 'set' : 'push';
      return { reply: { type: t, value: r.items }, end: r.end };
    }
    case 0x25:
    case 0x7c: {
      const n = Number(line);
      const r = aggregate(n * 2);
      if (!r) return null;
      const pairs: [Reply, Reply][] = [];
      for (let i = 0; i < r.items.length; i += 2) pairs.push([r.items[i]!, r.items[i + 1]!]);
      if (type === 0x25) return { reply: { type: 'map', value: pairs }, end: r.end };
      const next = decodeReply(buf, r.end);
      if (!next) return null;
      return { reply: { type: 'attribute', value: pairs, reply: next.reply }, end: next.end };
    }
    default:
      throw new Error(`unknown RESP type byte 0x${type.toString(16)} at ${offset}: ${buf.toString('latin1', offset, offset + 40)}`);
  }
}

/** Encodes a command as a RESP multibulk request. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** A plain JavaScript view of a reply, for assertions and scripts. */
export function toJs(r: Reply): unknown {
  switch (r.type) {
    case 'simple': case 'double': case 'bignum': return r.value;
    case 'error': return new Error(r.value);
    case 'integer': return Number(r.value);
    case 'bulk': case 'verbatim': return r.value.toString('latin1');
    case 'null': case 'nullbulk': case 'nullarray': return null;
    case 'boolean': return r.value;
    case 'array': case 'set': case 'push': return r.value.map(toJs);
    case 'map': return new Map(r.value.map(([k, v]) => [toJs(k), toJs(v)]));
    case 'attribute': return toJs(r.reply);
  }
}
