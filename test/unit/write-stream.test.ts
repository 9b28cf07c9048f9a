import { describe, expect, test } from 'vitest';
import { WriteStream } from '../../src/replication/write-stream.js';

/** The write stream alone: encoding, SELECT, execution units, consumers. */
function capture(stream: WriteStream): string[] {
  const out: string[] = [];
  stream.subscribe((b) => out.push(b.toString('latin1')));
  return out;
}

const cmd = (...a: string[]): string => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`;

describe('the write stream', () => {
  test('keeps nothing while no one listens', () => {
    const s = new WriteStream();
    expect(s.active).toBe(false);
    s.propagate(0, ['SET', 'k', 'v']);
    expect(s.hasPending).toBe(false);
    s.flush();
    const out = capture(s);
    s.flush();
    expect(out).toEqual([]);
  });

  test('a unit of one command goes alone, after the SELECT of its database', () => {
    const s = new WriteStream();
    const out = capture(s);
    s.propagate(0, ['set', 'k', 'v']);
    s.flush();
    s.propagate(0, ['DEL', 'k']);
    s.flush();
    s.propagate(3, ['SET', 'k', 'v']);
    s.flush();
    expect(out).toEqual([cmd('SELECT', '0') + cmd('set', 'k', 'v'), cmd('DEL', 'k'), cmd('SELECT', '3') + cmd('SET', 'k', 'v')]);
  });

  test('a unit of several commands is wrapped in MULTI/EXEC: MULTI in the first one\'s database, EXEC in the last one\'s', () => {
    const s = new WriteStream();
    const out = capture(s);
    s.propagate(2, ['SET', 'a', '1']);
    s.propagate(5, ['SET', 'b', '2']);
    s.flush();
    expect(out).toEqual([cmd('SELECT', '2') + cmd('MULTI') + cmd('SET', 'a', '1') + cmd('SELECT', '5') + cmd('SET', 'b', '2') + cmd('EXEC')]);
  });

  test('arguments are bytes: latin1 strings cross as they are, empty ones too', () => {
    const s = new WriteStream();
    const out: Buffer[] = [];
    s.subscribe((b) => out.push(b));
    s.propagate(0, ['SET', 'k\r\n\u00ff', '']);
    s.flush();
    expect(out[0]!.equals(Buffer.from(cmd('SELECT', '0') + '*3\r\n$3\r\nSET\r\n$4\r\nk\r\n\xff\r\n$0\r\n\r\n', 'latin1'))).toBe(true);
  });

  test('a consumer that joins in the middle of a unit gets that unit, then a SELECT before the next', () => {
    const s = new WriteStream();
    const first = capture(s);
    s.propagate(4, ['SET', 'a', '1']);
    s.flush();
    s.propagate(4, ['SET', 'b', '2']);
    const second = capture(s);
    s.flush();
    s.propagate(4, ['SET', 'c', '3']);
    s.flush();
    expect(second).toEqual([cmd('SET', 'b', '2'), cmd('SELECT', '4') + cmd('SET', 'c', '3')]);
    expect(first[2]).toBe(cmd('SELECT', '4') + cmd('SET', 'c', '3'));
  });

  test('long arguments and many of them: the buffer grows and keeps every byte', () => {
    const s = new WriteStream();
    const out = capture(s);
    const long = 'y'.repeat(100_000);
    const many = Array.from({ length: 2000 }, (_, i) => `member-${i}`);
    s.propagate(0, ['SET', 'big', long]);
    s.propagate(0, ['SADD', 'many', ...many]);
    s.flush();
    expect(out).toEqual([cmd('SELECT', '0') + cmd('MULTI') + cmd('SET', 'big', long) + cmd('SADD', 'many', ...many) + cmd('EXEC')]);
  });

  test('a new consumer gets a SELECT first; one that left gets nothing more', () => {
    const s = new WriteStream();
    const first = capture(s);
    s.propagate(0, ['SET', 'a', '1']);
    s.flush();
    const second: string[] = [];
    const leave = s.subscribe((b) => second.push(b.toString('latin1')));
    s.propagate(0, ['SET', 'b', '2']);
    s.flush();
    leave();
    s.propagate(0, ['SET', 'c', '3']);
    s.flush();
    expect(second).toEqual([cmd('SELECT', '0') + cmd('SET', 'b', '2')]);
    expect(first).toEqual([cmd('SELECT', '0') + cmd('SET', 'a', '1'), cmd('SELECT', '0') + cmd('SET', 'b', '2'), cmd('SET', 'c', '3')]);
  });
});
