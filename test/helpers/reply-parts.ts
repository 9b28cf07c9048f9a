import { decodeReply, type Reply } from './resp.js';

/**
 * Raw bytes of the elements of an aggregate reply (array, set, push, or map: keys and
 * values alternate), so that parts of two replies can be compared byte for byte when
 * the whole cannot (e.g. a container's subcommands, listed in hash order by Redis).
 */
export function parts(raw: Buffer): Buffer[] {
  const type = raw[0]!;
  const lineEnd = raw.indexOf('\r\n');
  const n = Number(raw.toString('latin1', 1, lineEnd));
  const count = type === 0x25 ? n * 2 : n;
  if (![0x2a, 0x7e, 0x3e, 0x25].includes(type)) throw new Error(`not an aggregate: ${raw.toString('latin1', 0, 20)}`);
  const out: Buffer[] = [];
  let pos = lineEnd + 2;
  for (let i = 0; i < count; i++) {
    const r = decodeReply(raw, pos);
    if (!r) throw new Error('truncated reply');
    out.push(raw.subarray(pos, r.end));
    pos = r.end;
  }
  return out;
}

/** Pairs of a map reply (RESP3 map, or RESP2 flat array) as [key text, raw value]. */
export function mapParts(raw: Buffer): [string, Buffer][] {
  const flat = parts(raw);
  const out: [string, Buffer][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([text(decodeReply(flat[i]!)!.reply), flat[i + 1]!]);
  return out;
}

/** The text of a string-like reply. */
export function text(r: Reply): string {
  switch (r.type) {
    case 'simple': case 'error': return r.value;
    case 'bulk': case 'verbatim': return r.value.toString('latin1');
    case 'integer': return r.value.toString();
    default: throw new Error(`not a string reply: ${r.type}`);
  }
}

/** The string elements of an array/set reply. */
export function texts(raw: Buffer): string[] {
  const r = decodeReply(raw)!.reply;
  if (r.type !== 'array' && r.type !== 'set') throw new Error(`not a list: ${r.type}`);
  return r.value.map(text);
}
