/**
 * Pub/sub messages from a RESP byte stream, for the expiry benchmarks' subscribers: each
 * array of bulk strings or integers is handed over with the time its read arrived.
 */
export class MessageParser {
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly onMessage: (items: string[], at: number) => void) {}

  feed(chunk: Buffer, at: number): void {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const end = this.parseOne(buf, pos, at);
      if (end < 0) break;
      pos = end;
    }
    this.rest = buf.subarray(pos);
  }

  /** Parses one message at pos; returns the position after it, or -1 if incomplete. */
  private parseOne(buf: Buffer, pos: number, at: number): number {
    const line = buf.indexOf(13, pos);
    if (line < 0 || line + 1 >= buf.length) return -1;
    const type = buf[pos];
    if (type !== 0x2a && type !== 0x3e) return line + 2; // not an array: skip the line
    const n = Number(buf.toString('latin1', pos + 1, line));
    let p = line + 2;
    const items: string[] = [];
    for (let k = 0; k < n; k++) {
      const l = buf.indexOf(13, p);
      if (l < 0 || l + 1 >= buf.length) return -1;
      if (buf[p] === 0x3a) {
        items.push(buf.toString('latin1', p + 1, l));
        p = l + 2;
        continue;
      }
      const len = Number(buf.toString('latin1', p + 1, l));
      if (l + 2 + len + 2 > buf.length) return -1;
      items.push(buf.toString('latin1', l + 2, l + 2 + len));
      p = l + 2 + len + 2;
    }
    this.onMessage(items, at);
    return p;
  }
}
