import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ReplyWriter, formatDouble17g, formatDouble17gDigits, type Protocol } from '../../src/protocol/writer.js';
import { decodeReply, type Reply } from '../helpers/resp.js';
import { WORDS_BELOW } from '../../src/util/shared-copy.js';

/**
 * The writer's bytes must decode back to what was written, in RESP2 and RESP3, with
 * Redis's encodings (RESP2 fallbacks for the RESP3 types), whatever the slab does.
 */

function writer(protocol: Protocol = 2): ReplyWriter {
  const w = new ReplyWriter();
  w.protocol = protocol;
  return w;
}

function bytes(w: ReplyWriter): string {
  return (w.take() ?? Buffer.alloc(0)).toString('latin1');
}

const BINARY = '\0\r\n\xff\x80\x7f "\'\\';

describe('exact bytes', () => {
  test('simple, error, integer', () => {
    const w = writer();
    w.simple('OK');
    w.simple('');
    w.error('ERR x');
    w.error('WRONGTYPE a\r\nb\rc\nd');
    expect(bytes(w)).toBe('+OK\r\n+\r\n-ERR x\r\n-WRONGTYPE a  b c d\r\n');
    for (const [n, text] of [
      [0, '0'], [1, '1'], [9, '9'], [10, '10'], [-1, '-1'], [-9, '-9'], [-10, '-10'], [123456789, '123456789'],
      [2 ** 31, '2147483648'], [-(2 ** 31), '-2147483648'], [2 ** 53 - 1, '9007199254740991'], [-(2 ** 53 - 1), '-9007199254740991'],
      [2 ** 60, '1152921504606846976'],
      [9223372036854775807n, '9223372036854775807'], [-9223372036854775808n, '-9223372036854775808'], [0n, '0'], [-5n, '-5'],
    ] as [number | bigint, string][]) {
      w.integer(n);
      expect(bytes(w), String(n)).toBe(`:${text}\r\n`);
    }
  });

  test('bulks', () => {
    const w = writer();
    w.bulk('');
    w.bulk('a');
    w.bulk(BINARY);
    w.bulk('x'.repeat(100));
    expect(bytes(w)).toBe(`$0\r\n\r\n$1\r\na\r\n$${BINARY.length}\r\n${BINARY}\r\n$100\r\n${'x'.repeat(100)}\r\n`);
    w.bulkInteger(-42);
    w.bulkInteger(9223372036854775807n);
    w.bulkInteger(2 ** 60);
    expect(bytes(w)).toBe('$3\r\n-42\r\n$19\r\n9223372036854775807\r\n$19\r\n1152921504606846976\r\n');
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    w.bulk(all);
    expect(w.take()!.equals(Buffer.concat([Buffer.from('$256\r\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n')]))).toBe(true);
  });

  test('RESP2 forms of the RESP3 types', () => {
    const w = writer(2);
    w.nullBulk();
    w.nullArray();
    w.boolean(true);
    w.boolean(false);
    w.double(1.5);
    w.double(Infinity);
    w.double(-Infinity);
    w.verbatim('hello');
    w.mapHeader(2);
    w.setHeader(3);
    w.pushHeader(4);
    w.arrayHeader(0);
    w.attributeHeader(1);
    w.bulkArray(['a', '']);
    expect(bytes(w)).toBe(
      '$-1\r\n*-1\r\n:1\r\n:0\r\n$3\r\n1.5\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$5\r\nhello\r\n*4\r\n*3\r\n*4\r\n*0\r\n*2\r\n$1\r\na\r\n$0\r\n\r\n',
    );
  });

  test('RESP3', () => {
    const w = writer(3);
    w.nullBulk();
    w.nullArray();
    w.boolean(true);
    w.boolean(false);
    w.double(1.5);
    w.double(Infinity);
    w.double(-Infinity);
    w.double(-0);
    w.verbatim('hello');
    w.verbatim('x', 'mkd');
    w.mapHeader(2);
    w.setHeader(3);
    w.pushHeader(4);
    w.attributeHeader(1);
    w.arrayHeader(12345);
    expect(bytes(w)).toBe(
      '_\r\n_\r\n#t\r\n#f\r\n,1.5\r\n,inf\r\n,-inf\r\n,-0\r\n=9\r\ntxt:hello\r\n=5\r\nmkd:x\r\n%2\r\n~3\r\n>4\r\n|1\r\n*12345\r\n',
    );
  });

  test('raw bytes, and errors are reported to onError', () => {
    const w = writer();
    const seen: string[] = [];
    w.onError = (t) => seen.push(t);
    w.raw(Buffer.from('+PONG\r\n'));
    w.error('ERR one');
    w.error('NOAUTH two\r\n');
    expect(bytes(w)).toBe('+PONG\r\n-ERR one\r\n-NOAUTH two  \r\n');
    expect(seen).toEqual(['ERR one', 'NOAUTH two  ']);
  });
});

/** A reply tree and the writer calls that produce it. */
type Model =
  | { t: 'simple'; s: string }
  | { t: 'error'; s: string }
  | { t: 'int'; n: bigint }
  | { t: 'bulk'; s: string }
  | { t: 'nullBulk' }
  | { t: 'nullArray' }
  | { t: 'bool'; b: boolean }
  | { t: 'double'; v: number }
  | { t: 'verbatim'; s: string }
  | { t: 'array' | 'set' | 'push'; items: Model[] }
  | { t: 'map'; pairs: [Model, Model][] };

const latin1 = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a).toString('latin1'));
const line = latin1(30).map((s) => s.replace(/[\r\n]/g, '_'));
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

const modelArb: fc.Arbitrary<Model> = fc.letrec<{ m: Model }>((tie) => ({
  m: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    line.map((s): Model => ({ t: 'simple', s })),
    line.map((s): Model => ({ t: 'error', s: 'ERR ' + s })),
    fc.oneof(fc.bigInt(INT64), fc.integer().map(BigInt), fc.constantFrom(0n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, INT64.min, INT64.max)).map(
      (n): Model => ({ t: 'int', n }),
    ),
    fc.oneof(latin1(60), latin1(70_000).filter((s) => s.length > 0)).map((s): Model => ({ t: 'bulk', s })),
    fc.constant<Model>({ t: 'nullBulk' }),
    fc.constant<Model>({ t: 'nullArray' }),
    fc.boolean().map((b): Model => ({ t: 'bool', b })),
    fc.double().filter((v) => !Number.isNaN(v)).map((v): Model => ({ t: 'double', v })),
    latin1(40).map((s): Model => ({ t: 'verbatim', s })),
    fc.tuple(fc.constantFrom('array' as const, 'set' as const, 'push' as const), fc.array(tie('m'), { maxLength: 5 })).map(
      ([t, items]): Model => ({ t, items }),
    ),
    fc.array(fc.tuple(tie('m'), tie('m')), { maxLength: 3 }).map((pairs): Model => ({ t: 'map', pairs })),
  ),
})).m;

function encode(w: ReplyWriter, m: Model): void {
  switch (m.t) {
    case 'simple': return w.simple(m.s);
    case 'error': return w.error(m.s);
    case 'int': return w.integer(m.n >= -(2n ** 53n) + 1n && m.n <= 2n ** 53n - 1n ? Number(m.n) : m.n);
    case 'bulk': return w.bulk(m.s);
    case 'nullBulk': return w.nullBulk();
    case 'nullArray': return w.nullArray();
    case 'bool': return w.boolean(m.b);
    case 'double': return w.double(m.v);
    case 'verbatim': return w.verbatim(m.s);
    case 'array': w.arrayHeader(m.items.length); return m.items.forEach((i) => encode(w, i));
    case 'set': w.setHeader(m.items.length); return m.items.forEach((i) => encode(w, i));
    case 'push': w.pushHeader(m.items.length); return m.items.forEach((i) => encode(w, i));
    case 'map':
      w.mapHeader(m.pairs.length);
      return m.pairs.forEach(([k, v]) => (encode(w, k), encode(w, v)));
  }
}

/** What decodeReply must give for m in the protocol. */
function expected(m: Model, p: Protocol): Reply {
  const bulk = (s: string): Reply => ({ type: 'bulk', value: Buffer.from(s, 'latin1') });
  switch (m.t) {
    case 'simple': return { type: 'simple', value: m.s };
    case 'error': return { type: 'error', value: m.s };
    case 'int': return { type: 'integer', value: m.n };
    case 'bulk': return bulk(m.s);
    case 'nullBulk': return p === 3 ? { type: 'null' } : { type: 'nullbulk' };
    case 'nullArray': return p === 3 ? { type: 'null' } : { type: 'nullarray' };
    case 'bool': return p === 3 ? { type: 'boolean', value: m.b } : { type: 'integer', value: m.b ? 1n : 0n };
    case 'double': return p === 3 ? { type: 'double', value: formatDouble17g(m.v) } : bulk(formatDouble17g(m.v));
    case 'verbatim': return p === 3 ? { type: 'verbatim', format: 'txt', value: Buffer.from(m.s, 'latin1') } : bulk(m.s);
    case 'array': return { type: 'array', value: m.items.map((i) => expected(i, p)) };
    case 'set': case 'push':
      return p === 3 ? { type: m.t, value: m.items.map((i) => expected(i, p)) } : { type: 'array', value: m.items.map((i) => expected(i, p)) };
    case 'map':
      return p === 3
        ? { type: 'map', value: m.pairs.map(([k, v]) => [expected(k, p), expected(v, p)] as [Reply, Reply]) }
        : { type: 'array', value: m.pairs.flatMap(([k, v]) => [expected(k, p), expected(v, p)]) };
  }
}

describe('properties', () => {
  test('every reply decodes back, in RESP2 and RESP3, with take() anywhere in between', () => {
    fc.assert(
      fc.property(fc.constantFrom<Protocol>(2, 3), fc.array(fc.tuple(modelArb, fc.boolean()), { minLength: 1, maxLength: 12 }), (p, replies) => {
        const w = writer(p);
        const taken: Buffer[] = [];
        for (const [m, takeAfter] of replies) {
          encode(w, m);
          if (takeAfter) {
            const out = w.take();
            if (out) taken.push(out);
          }
        }
        const last = w.take();
        if (last) taken.push(last);
        // The views were taken before later writes; they must still hold their bytes.
        const all = Buffer.concat(taken);
        let offset = 0;
        for (const [m] of replies) {
          const d = decodeReply(all, offset);
          expect(d).not.toBeNull();
          expect(d!.reply).toEqual(expected(m, p));
          offset = d!.end;
        }
        expect(offset).toBe(all.length);
      }),
      { numRuns: 400 },
    );
  });
});

describe('slabs', () => {
  test('released views let the slab be filled again; a view not released is never written over', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.boolean(), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 80 }),
        (steps) => {
          const w = writer();
          // Views still held (not released), with the bytes each held when taken.
          const held: [Buffer, string][] = [];
          let n = 0;
          for (const [size, release, more] of steps) {
            w.bulk(String.fromCharCode(97 + (n++ % 26)).repeat(size));
            for (let i = 0; i < more; i++) w.integer(n * 1000 + i);
            const out = w.take()!;
            if (release) w.release(out);
            else held.push([out, out.toString('latin1')]);
            // Release an older view now and then, as a socket that drained would.
            if (held.length > 0 && size % 3 === 0) w.release(held.shift()![0]);
            for (const [view, text] of held) expect(view.toString('latin1')).toBe(text);
          }
        },
      ),
      { numRuns: 300 },
    );
    // All released: the next reply goes where the first one went.
    const w = writer();
    w.simple('one');
    const first = w.take()!;
    w.release(first);
    w.simple('two');
    const second = w.take()!;
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
    // One view held: the next goes after it.
    w.simple('three');
    const third = w.take()!;
    expect(third.byteOffset).toBe(second.byteOffset + second.length);
  });

  test('a reply bigger than a slab', () => {
    const w = writer();
    const big = 'b'.repeat(200_000);
    w.simple('before');
    w.bulk(big);
    w.simple('after');
    expect(bytes(w)).toBe(`+before\r\n$200000\r\n${big}\r\n+after\r\n`);
  });

  test('many replies crossing slab ends; views taken earlier stay intact', () => {
    const w = writer();
    const views: [Buffer, string][] = [];
    for (let i = 0; i < 5000; i++) {
      const value = `v${i}-`.repeat(1 + (i % 37));
      w.bulk(value);
      if (i % 3 === 0) w.integer(i);
      if (i % 7 === 0) {
        const out = w.take()!;
        views.push([out, out.toString('latin1')]);
      }
    }
    // Writes after each take() went after the view or into a new slab.
    for (const [view, text] of views) expect(view.toString('latin1')).toBe(text);
    // And the sequence decodes completely.
    const rest = w.take();
    const all = Buffer.concat([...views.map(([v]) => v), ...(rest ? [rest] : [])]);
    let offset = 0;
    for (let i = 0; i < 5000; i++) {
      const d = decodeReply(all, offset)!;
      if (d.reply.type !== 'bulk' || d.reply.value.toString('latin1') !== `v${i}-`.repeat(1 + (i % 37))) {
        expect(d.reply, `reply ${i}`).toEqual({ type: 'bulk', value: Buffer.from(`v${i}-`.repeat(1 + (i % 37))) });
      }
      offset = d.end;
      if (i % 3 === 0) {
        const n = decodeReply(all, offset)!;
        if (n.reply.type !== 'integer' || n.reply.value !== BigInt(i)) expect(n.reply, `integer ${i}`).toEqual({ type: 'integer', value: BigInt(i) });
        offset = n.end;
      }
    }
    expect(offset).toBe(all.length);
  });

  test('every reply size around the slab end', () => {
    for (let size = 65536 - 40; size <= 65536 + 4; size++) {
      const w = writer();
      w.bulk('p'.repeat(1000));
      const first = w.take()!;
      const firstText = first.toString('latin1');
      w.bulk('q'.repeat(size - 1000));
      w.bulk('r'.repeat(30));
      expect(bytes(w)).toBe(`$${size - 1000}\r\n${'q'.repeat(size - 1000)}\r\n$30\r\n${'r'.repeat(30)}\r\n`);
      expect(first.toString('latin1')).toBe(firstText);
    }
  });

  test('a batch of many large replies is encoded in linear time', () => {
    const w = writer();
    const value = 'z'.repeat(100_000);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) w.bulk(value);
    const out = w.take()!;
    const elapsed = performance.now() - started;
    expect(out.length).toBe(1000 * ('$100000\r\n'.length + 100_000 + 2));
    expect(out.toString('latin1', 0, 12)).toBe('$100000\r\nzzz');
    // 100 MB copied a constant number of times is well under a second; copying the
    // pending bytes on every growth (quadratic) would move about 50 GB.
    expect(elapsed).toBeLessThan(3000);
  });

  test('a buffer grown for a large batch is not kept once taken', () => {
    const w = writer();
    for (let i = 0; i < 2000; i++) w.bulk('g'.repeat(1000));
    const big = w.take()!;
    expect(big.length).toBe(2000 * 1009);
    w.simple('OK');
    const next = w.take()!;
    expect(next.toString()).toBe('+OK\r\n');
    expect(next.buffer).not.toBe(big.buffer);
    expect(next.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  test('rollback to a mark taken before the pending bytes had to move', () => {
    const w = writer();
    w.simple('a'.repeat(40_000));
    const earlier = w.take()!;
    w.simple('second');
    const mark = w.mark();
    w.bulk('y'.repeat(30_000)); // does not fit after the taken bytes: moves to a new buffer
    w.rollback(mark);
    w.error('ERR replaced');
    expect(bytes(w)).toBe('+second\r\n-ERR replaced\r\n');
    expect(earlier.toString()).toBe(`+${'a'.repeat(40_000)}\r\n`);
  });

  test('discard drops what was not taken', () => {
    const w = writer();
    w.simple('kept');
    const kept = w.take()!;
    w.simple('dropped');
    w.discard();
    expect(w.pending).toBe(0);
    expect(w.take()).toBeNull();
    expect(kept.toString()).toBe('+kept\r\n');
  });
});

/** [IEEE-754 bits, printf("%.17g")] from glibc's printf (gcc, Debian), computed when the test was written. */
const PRINTF_17G: [string, string][] = [
  ['3fe0000000000000', '0.5'],
  ['bfe0000000000000', '-0.5'],
  ['3ff0000000000000', '1'],
  ['bff0000000000000', '-1'],
  ['3ff8000000000000', '1.5'],
  ['bff8000000000000', '-1.5'],
  ['3fb999999999999a', '0.10000000000000001'],
  ['bfb999999999999a', '-0.10000000000000001'],
  ['3fc999999999999a', '0.20000000000000001'],
  ['bfc999999999999a', '-0.20000000000000001'],
  ['3fd3333333333333', '0.29999999999999999'],
  ['bfd3333333333333', '-0.29999999999999999'],
  ['3fd5555555555555', '0.33333333333333331'],
  ['bfd5555555555555', '-0.33333333333333331'],
  ['3fe5555555555555', '0.66666666666666663'],
  ['bfe5555555555555', '-0.66666666666666663'],
  ['400921f9f01b866e', '3.1415899999999999'],
  ['c00921f9f01b866e', '-3.1415899999999999'],
  ['4005bf0a8b145769', '2.7182818284590451'],
  ['c005bf0a8b145769', '-2.7182818284590451'],
  ['4059000000000000', '100'],
  ['c059000000000000', '-100'],
  ['430c6bf526340000', '1000000000000000'],
  ['c30c6bf526340000', '-1000000000000000'],
  ['4341c37937e08000', '10000000000000000'],
  ['c341c37937e08000', '-10000000000000000'],
  ['4376345785d8a000', '1e+17'],
  ['c376345785d8a000', '-1e+17'],
  ['43abc16d674ec800', '1e+18'],
  ['c3abc16d674ec800', '-1e+18'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['c44b1ae4d6e2ef50', '-1e+21'],
  ['4480f0cf064dd592', '1e+22'],
  ['c480f0cf064dd592', '-1e+22'],
  ['54b249ad2594c37d', '1e+100'],
  ['d4b249ad2594c37d', '-1e+100'],
  ['7e37e43c8800759c', '1.0000000000000001e+300'],
  ['fe37e43c8800759c', '-1.0000000000000001e+300'],
  ['7fe1ccf385ebc8a0', '1e+308'],
  ['ffe1ccf385ebc8a0', '-1e+308'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['3f1a36e2eb1c432d', '0.0001'],
  ['bf1a36e2eb1c432d', '-0.0001'],
  ['3ee4f8b588e368f1', '1.0000000000000001e-05'],
  ['bee4f8b588e368f1', '-1.0000000000000001e-05'],
  ['3f1a36d1bd105b06', '9.9999000000000003e-05'],
  ['bf1a36d1bd105b06', '-9.9999000000000003e-05'],
  ['3f202c9dedbc309d', '0.00012339999999999999'],
  ['bf202c9dedbc309d', '-0.00012339999999999999'],
  ['3ee9e0fcaf9380fc', '1.234e-05'],
  ['bee9e0fcaf9380fc', '-1.234e-05'],
  ['01a56e1fc2f8f359', '1e-300'],
  ['81a56e1fc2f8f359', '-1e-300'],
  ['0000000000000001', '4.9406564584124654e-324'],
  ['8000000000000001', '-4.9406564584124654e-324'],
  ['0010000000000000', '2.2250738585072014e-308'],
  ['8010000000000000', '-2.2250738585072014e-308'],
  ['000fffffffffffff', '2.2250738585072009e-308'],
  ['800fffffffffffff', '-2.2250738585072009e-308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4340000000000001', '9007199254740994'],
  ['c340000000000001', '-9007199254740994'],
  ['43e0000000000000', '9.2233720368547758e+18'],
  ['c3e0000000000000', '-9.2233720368547758e+18'],
  ['43f0000000000000', '1.8446744073709552e+19'],
  ['c3f0000000000000', '-1.8446744073709552e+19'],
  ['437b69b4ba630f35', '1.2345678901234568e+17'],
  ['c37b69b4ba630f35', '-1.2345678901234568e+17'],
  ['4345ee2a2eb5a5c4', '12345678901234568'],
  ['c345ee2a2eb5a5c4', '-12345678901234568'],
  ['43118b54f22aeb03', '1234567890123456.8'],
  ['c3118b54f22aeb03', '-1234567890123456.8'],
  ['4341c37937e07fff', '9999999999999998'],
  ['c341c37937e07fff', '-9999999999999998'],
  ['3fd3333333333334', '0.30000000000000004'],
  ['bfd3333333333334', '-0.30000000000000004'],
  ['3ff0000000000001', '1.0000000000000002'],
  ['bff0000000000001', '-1.0000000000000002'],
  ['3fefffffffffffff', '0.99999999999999989'],
  ['bfefffffffffffff', '-0.99999999999999989'],
  ['4011666666666666', '4.3499999999999996'],
  ['c011666666666666', '-4.3499999999999996'],
  ['3f202e85be111841', '0.000123456789'],
  ['bf202e85be111841', '-0.000123456789'],
  ['405edd2f1a9fbe77', '123.456'],
  ['c05edd2f1a9fbe77', '-123.456'],
  ['3e7ad7f29abcaf48', '9.9999999999999995e-08'],
  ['be7ad7f29abcaf48', '-9.9999999999999995e-08'],
  ['4040a66666666666', '33.299999999999997'],
  ['c040a66666666666', '-33.299999999999997'],
  ['3e60000000000000', '2.9802322387695312e-08'],
  ['be60000000000000', '-2.9802322387695312e-08'],
  ['3e50000000000000', '1.4901161193847656e-08'],
  ['be50000000000000', '-1.4901161193847656e-08'],
  ['3e58000000000000', '2.2351741790771484e-08'],
  ['be58000000000000', '-2.2351741790771484e-08'],
  ['8000000000000000', '-0'],
  ['0000000000000000', '0'],
  ['3f50640000000000', '0.0010004043579101562'],
  ['bf50640000000000', '-0.0010004043579101562'],
  ['3f506c0000000000', '0.0010023117065429688'],
  ['bf506c0000000000', '-0.0010023117065429688'],
  ['3f50740000000000', '0.0010042190551757812'],
  ['bf50740000000000', '-0.0010042190551757812'],
  ['3f507c0000000000', '0.0010061264038085938'],
  ['bf507c0000000000', '-0.0010061264038085938'],
  ['3f50840000000000', '0.0010080337524414062'],
  ['bf50840000000000', '-0.0010080337524414062'],
  ['3f508c0000000000', '0.0010099411010742188'],
  ['bf508c0000000000', '-0.0010099411010742188'],
  ['3f50940000000000', '0.0010118484497070312'],
  ['bf50940000000000', '-0.0010118484497070312'],
  ['3f509c0000000000', '0.0010137557983398438'],
  ['bf509c0000000000', '-0.0010137557983398438'],
  ['3f50a40000000000', '0.0010156631469726562'],
  ['bf50a40000000000', '-0.0010156631469726562'],
  ['3f50ac0000000000', '0.0010175704956054688'],
  ['bf50ac0000000000', '-0.0010175704956054688'],
  ['3f50b40000000000', '0.0010194778442382812'],
  ['bf50b40000000000', '-0.0010194778442382812'],
  ['3f50bc0000000000', '0.0010213851928710938'],
  ['bf50bc0000000000', '-0.0010213851928710938'],
  ['6a06e9ab85a0bcc1', '5.6123501771070346e+202'],
  ['ea06e9ab85a0bcc1', '-5.6123501771070346e+202'],
  ['4dad2986ce834960', '1.5355697530503638e+66'],
  ['cdad2986ce834960', '-1.5355697530503638e+66'],
  ['5d998017f5e2fc57', '7.7739970087622269e+142'],
  ['dd998017f5e2fc57', '-7.7739970087622269e+142'],
  ['2cb85f3f4a24e39a', '2.9210136204825604e-93'],
  ['acb85f3f4a24e39a', '-2.9210136204825604e-93'],
  ['b48438b5c41f9dfd', '-1.0308718581606456e-55'],
  ['348438b5c41f9dfd', '1.0308718581606456e-55'],
  ['8a4996efb447c0ce', '-4.1608030209773012e-259'],
  ['0a4996efb447c0ce', '4.1608030209773012e-259'],
  ['473d212ba950666d', '1.5124938762558304e+35'],
  ['c73d212ba950666d', '-1.5124938762558304e+35'],
  ['eae0d2c11c339464', '-6.7514518216084039e+206'],
  ['6ae0d2c11c339464', '6.7514518216084039e+206'],
  ['3fb81d2706e55426', '0.094194831069515844'],
  ['bfb81d2706e55426', '-0.094194831069515844'],
  ['d0b0090d62590992', '-4.7533258015174035e+80'],
  ['50b0090d62590992', '4.7533258015174035e+80'],
  ['6b68b48ebf13c171', '2.5381494529350169e+209'],
  ['eb68b48ebf13c171', '-2.5381494529350169e+209'],
  ['dc159e6a409c38f2', '-3.928346849104129e+135'],
  ['5c159e6a409c38f2', '3.928346849104129e+135'],
  ['cd68615c80690847', '-8.0235847809527844e+64'],
  ['4d68615c80690847', '8.0235847809527844e+64'],
  ['a3f96f0e51436d1f', '-2.1870233525128276e-135'],
  ['23f96f0e51436d1f', '2.1870233525128276e-135'],
  ['af371d87d8a8f065', '-3.0460829806865511e-81'],
  ['2f371d87d8a8f065', '3.0460829806865511e-81'],
  ['b969ec07f1f83a79', '-3.9939159012341567e-32'],
  ['3969ec07f1f83a79', '3.9939159012341567e-32'],
  ['2335e9e266cea9fa', '4.6004038392059884e-139'],
  ['a335e9e266cea9fa', '-4.6004038392059884e-139'],
  ['8d1a6bffff9a3914', '-1.5115662276882396e-245'],
  ['0d1a6bffff9a3914', '1.5115662276882396e-245'],
  ['23cf493f0febddf8', '3.3628202878045669e-136'],
  ['a3cf493f0febddf8', '-3.3628202878045669e-136'],
  ['caa7e9bfd00724a1', '-4.4734732892584678e+51'],
  ['4aa7e9bfd00724a1', '4.4734732892584678e+51'],
  ['32521553e014be00', '2.6829891481641028e-66'],
  ['b2521553e014be00', '-2.6829891481641028e-66'],
  ['e1ff83ab26a2658f', '-1.1342420427054517e+164'],
  ['61ff83ab26a2658f', '1.1342420427054517e+164'],
  ['8869510db4a02517', '-3.8337122780291268e-268'],
  ['0869510db4a02517', '3.8337122780291268e-268'],
  ['cd425ec38f138999', '-1.511410045433058e+64'],
  ['4d425ec38f138999', '1.511410045433058e+64'],
  ['af929a91f4873115', '-1.5689986596107426e-79'],
  ['2f929a91f4873115', '1.5689986596107426e-79'],
  ['54bec7d835c33744', '1.6831245847342778e+100'],
  ['d4bec7d835c33744', '-1.6831245847342778e+100'],
  ['1f9db8dd8a3b09dd', '2.1648220314045117e-156'],
  ['9f9db8dd8a3b09dd', '-2.1648220314045117e-156'],
  ['b730d88fe1e8a4aa', '-7.5539832064255177e-43'],
  ['3730d88fe1e8a4aa', '7.5539832064255177e-43'],
  ['11b5aecda386a3a0', '2.3431446327742618e-223'],
  ['91b5aecda386a3a0', '-2.3431446327742618e-223'],
  ['68e06b0c4f27b35c', '1.5340925832667625e+197'],
  ['e8e06b0c4f27b35c', '-1.5340925832667625e+197'],
  ['81dda9da14f50791', '-1.1073540134429294e-299'],
  ['01dda9da14f50791', '1.1073540134429294e-299'],
  ['dbd5f6d2f09529af', '-2.4944373847082567e+134'],
  ['5bd5f6d2f09529af', '2.4944373847082567e+134'],
  ['a3e2889c795e846b', '-7.9684276003006974e-136'],
  ['23e2889c795e846b', '7.9684276003006974e-136'],
  ['9995d8aaff0f3b81', '-2.0083608630643466e-185'],
  ['1995d8aaff0f3b81', '2.0083608630643466e-185'],
  ['aebf999324405d96', '-1.626623125495228e-83'],
  ['2ebf999324405d96', '1.626623125495228e-83'],
  ['689edcd6cfec9e2c', '9.0117773173876639e+195'],
  ['e89edcd6cfec9e2c', '-9.0117773173876639e+195'],
  ['818dced3d0398c72', '-3.4773308534043904e-301'],
  ['018dced3d0398c72', '3.4773308534043904e-301'],
  ['561d2417eb837ba8', '6.6834820210308931e+106'],
  ['d61d2417eb837ba8', '-6.6834820210308931e+106'],
  ['6ecace3c0490ca26', '4.9610357400737577e+225'],
  ['eecace3c0490ca26', '-4.9610357400737577e+225'],
  ['925b1ec95f4807bc', '-3.0010762818851312e-220'],
  ['125b1ec95f4807bc', '3.0010762818851312e-220'],
  ['e599e3580d3a2dc6', '-2.6855729402789166e+181'],
  ['6599e3580d3a2dc6', '2.6855729402789166e+181'],
  ['bd27b4f2c0855ac9', '-4.2111788015997515e-14'],
  ['3d27b4f2c0855ac9', '4.2111788015997515e-14'],
  ['0ce02d285ac9cd0e', '1.156792214424891e-246'],
  ['8ce02d285ac9cd0e', '-1.156792214424891e-246'],
  ['7a2c3b72f5a2224a', '3.2029566044287023e+280'],
  ['fa2c3b72f5a2224a', '-3.2029566044287023e+280'],
  ['947feaa35ff4cb50', '-6.067629430003714e-210'],
  ['147feaa35ff4cb50', '6.067629430003714e-210'],
  ['01520627c63d6f69', '2.628310141408858e-302'],
  ['81520627c63d6f69', '-2.628310141408858e-302'],
  ['67cc1752de27660b', '1.00128135235109e+192'],
  ['e7cc1752de27660b', '-1.00128135235109e+192'],
  ['1df995313d2b9a36', '2.776579775807271e-164'],
  ['9df995313d2b9a36', '-2.776579775807271e-164'],
  ['36be6e688e8b88c2', '5.33041375122393e-45'],
  ['b6be6e688e8b88c2', '-5.33041375122393e-45'],
  ['3fa244adf517a775', '0.035680233162408571'],
  ['bfa244adf517a775', '-0.035680233162408571'],
  ['f515f75186e41524', '-1.0306923341340574e+256'],
  ['7515f75186e41524', '1.0306923341340574e+256'],
  ['0ee06e0b5c15cfd1', '5.0462330772636019e-237'],
  ['8ee06e0b5c15cfd1', '-5.0462330772636019e-237'],
  ['1071e6da44673e23', '1.8449272141250771e-229'],
  ['9071e6da44673e23', '-1.8449272141250771e-229'],
  ['468629e8c95613ef', '5.6191676233285139e+31'],
  ['c68629e8c95613ef', '-5.6191676233285139e+31'],
  ['bf5da6cc3157e672', '-0.0018097871846961791'],
  ['3f5da6cc3157e672', '0.0018097871846961791'],
  ['d422051f9a98f4d0', '-1.9245257597877984e+97'],
  ['5422051f9a98f4d0', '1.9245257597877984e+97'],
  ['887b5f5f8e384a7b', '-8.2900882590881929e-268'],
  ['087b5f5f8e384a7b', '8.2900882590881929e-268'],
  ['e6d747b48db0eb42', '-2.5323407231479623e+187'],
  ['66d747b48db0eb42', '2.5323407231479623e+187'],
  ['400b49322125fd8a', '3.4107401456564661'],
  ['c00b49322125fd8a', '-3.4107401456564661'],
  ['4ebf6be1a897b98f', '2.1686261566452184e+71'],
  ['cebf6be1a897b98f', '-2.1686261566452184e+71'],
  ['41296c44e75616c6', '833058.45182868163'],
  ['c1296c44e75616c6', '-833058.45182868163'],
  ['c1161c080aed98c0', '-362242.0106719844'],
  ['41161c080aed98c0', '362242.0106719844'],
  ['c1147fb67ad71ea6', '-335853.61996124161'],
  ['41147fb67ad71ea6', '335853.61996124161'],
  ['4128f7430b11009e', '818081.5216140931'],
  ['c128f7430b11009e', '-818081.5216140931'],
  ['4103209315dd02d8', '156690.38567545149'],
  ['c103209315dd02d8', '-156690.38567545149'],
  ['c11bc2f24be2b866', '-454844.57410705683'],
  ['411bc2f24be2b866', '454844.57410705683'],
  ['c12debf296943f29', '-980473.29409978271'],
  ['412debf296943f29', '980473.29409978271'],
  ['411eeaab97278574', '506538.8976116993'],
  ['c11eeaab97278574', '-506538.8976116993'],
  ['c1128de002fc70e0', '-303992.00291611068'],
  ['41128de002fc70e0', '303992.00291611068'],
  ['c0f00923104ee4f8', '-65682.191481489572'],
  ['40f00923104ee4f8', '65682.191481489572'],
  ['c11bc5481f6c6cf0', '-454994.0306870481'],
  ['411bc5481f6c6cf0', '454994.0306870481'],
  ['41103f6ff11283f0', '266203.98542219307'],
  ['c1103f6ff11283f0', '-266203.98542219307'],
  ['411bf3c3df5cd20c', '457968.96812751959'],
  ['c11bf3c3df5cd20c', '-457968.96812751959'],
  ['c117381f4ceaa3a8', '-380423.82511382783'],
  ['4117381f4ceaa3a8', '380423.82511382783'],
  ['c129f028ba084e78', '-849940.36334462371'],
  ['4129f028ba084e78', '849940.36334462371'],
  ['412db61a1cf0d652', '973581.05652494193'],
  ['c12db61a1cf0d652', '-973581.05652494193'],
  ['412906e47aaa74ee', '820082.23958173185'],
  ['c12906e47aaa74ee', '-820082.23958173185'],
  ['c12d41aa722e7f57', '-958677.22301099717'],
  ['412d41aa722e7f57', '958677.22301099717'],
  ['40ff5719f4fa02d0', '128369.62230874156'],
  ['c0ff5719f4fa02d0', '-128369.62230874156'],
  ['4116b472a1ead834', '371996.65812242334'],
  ['c116b472a1ead834', '-371996.65812242334'],
  ['c107adb405584e88', '-193974.50260983803'],
  ['4107adb405584e88', '193974.50260983803'],
  ['411c46c3c7faca80', '463280.9452926293'],
  ['c11c46c3c7faca80', '-463280.9452926293'],
  ['412c109d52944a30', '919630.66128761135'],
  ['c12c109d52944a30', '-919630.66128761135'],
  ['4106022900538c18', '180293.12515935372'],
  ['c106022900538c18', '-180293.12515935372'],
  ['c10a78a2acd51308', '-216852.33439078205'],
  ['410a78a2acd51308', '216852.33439078205'],
  ['c122937f602e9d67', '-608703.6878556431'],
  ['4122937f602e9d67', '608703.6878556431'],
  ['c11e582c4a8efd55', '-497163.07281108695'],
  ['411e582c4a8efd55', '497163.07281108695'],
  ['c125503a0f821509', '-698397.03028932319'],
  ['4125503a0f821509', '698397.03028932319'],
  ['c127c760dd4ba772', '-779184.43221781985'],
  ['4127c760dd4ba772', '779184.43221781985'],
  ['c1218de92370c615', '-575220.56921977049'],
  ['41218de92370c615', '575220.56921977049'],
  ['4124e02127ce2d62', '684048.57774488279'],
  ['c124e02127ce2d62', '-684048.57774488279'],
  ['40f20e3ed8898820', '73955.927865535486'],
  ['c0f20e3ed8898820', '-73955.927865535486'],
  ['41229c9f1978f914', '609871.54975107545'],
  ['c1229c9f1978f914', '-609871.54975107545'],
  ['4129a5670c4d7a0c', '840371.52402860066'],
  ['c129a5670c4d7a0c', '-840371.52402860066'],
  ['4122f802bd6d40aa', '621569.36997415614'],
  ['c122f802bd6d40aa', '-621569.36997415614'],
  ['c12b7ff44463eaf7', '-901114.13357481256'],
  ['412b7ff44463eaf7', '901114.13357481256'],
  ['4129ff9c46539aca', '851918.13735660282'],
  ['c129ff9c46539aca', '-851918.13735660282'],
  ['c128da9f20a6beae', '-814415.56377216219'],
  ['4128da9f20a6beae', '814415.56377216219'],
  ['412089d70f1d2d92', '541931.52951948554'],
  ['c12089d70f1d2d92', '-541931.52951948554'],
  ['4124affe2451367a', '677887.07093210449'],
  ['c124affe2451367a', '-677887.07093210449'],
];

describe('formatDouble17g', () => {
  test("matches C's printf('%.17g') (positive and negative, ties, %g's switch to exponents, subnormals)", () => {
    const view = new DataView(new ArrayBuffer(8));
    for (const [bits, text] of PRINTF_17G) {
      view.setBigUint64(0, BigInt('0x' + bits));
      expect(formatDouble17g(view.getFloat64(0)), bits).toBe(text);
    }
  });

  test('integers take a shortcut that prints what the general path prints', () => {
    const edges = [1, -1, 9, 10, 99, 100, 2 ** 31, -(2 ** 31), 2 ** 32, 1e15, 1e16 - 2, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2, 1e17, 1e21];
    for (const v of edges) expect(formatDouble17g(v), String(v)).toBe(formatDouble17gDigits(v));
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.integer({ min: 0, max: 2 ** 21 }), (low, high) => {
        const v = low + high * 2 ** 32;
        expect(formatDouble17g(v)).toBe(formatDouble17gDigits(v));
      }),
      { numRuns: 2000 },
    );
    expect(formatDouble17g(12345)).toBe('12345');
    expect(formatDouble17g(-0)).toBe('-0');
  });

  test('infinities as Redis spells them', () => {
    expect(formatDouble17g(Infinity)).toBe('inf');
    expect(formatDouble17g(-Infinity)).toBe('-inf');
    expect(formatDouble17g(0)).toBe('0');
    expect(formatDouble17g(-0)).toBe('-0');
  });
});

/**
 * bulkBytes of `length` bytes from a view that starts `viewAt` bytes into a shared
 * buffer, the value `before` bytes into the view, after a reply of `prefix` bytes (which
 * moves where the copy lands): whether it writes what bulk() of the same text writes.
 */
function sharedCopy(length: number, before: number, viewAt: number, prefix: number, seed: number): boolean {
  const shared = new SharedArrayBuffer(viewAt + before + length + 8);
  const src = new Uint8Array(shared, viewAt, before + length + 8);
  for (let i = 0; i < length; i++) src[before + i] = (seed + i * 131) & 255;
  const a = writer();
  const b = writer();
  for (const w of [a, b]) w.bulk('x'.repeat(prefix));
  a.bulkBytes(src, before, before + length, new DataView(shared), viewAt);
  b.bulk(Buffer.from(src.subarray(before, before + length)).toString('latin1'));
  return bytes(a) === bytes(b);
}

describe('bulkBytes (a stored value copied from the keyspace, no string made)', () => {
  test('writes the same bytes as bulk() of the same latin1 text, short and long, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(20), fc.nat(20), (data, before, after) => {
        const src = new Uint8Array(before + data.length + after);
        src.set(data, before);
        const a = writer();
        a.bulkBytes(src, before, before + data.length);
        const b = writer();
        b.bulk(Buffer.from(data).toString('latin1'));
        expect(bytes(a)).toBe(bytes(b));
      }),
      { numRuns: 500 },
    );
  });

  test('the same from shared memory (the slab), across the realigned copy and its pieces, after other replies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.nat(20),
        fc.nat(9),
        fc.integer(),
        (length, before, prefix, seed) => {
          expect(sharedCopy(length, before, 0, prefix, seed)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('short values from shared memory (word by word), the view anywhere in the shared buffer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: WORDS_BELOW + 16 }),
        fc.nat(20),
        fc.nat(40),
        fc.nat(9),
        fc.integer(),
        (length, before, viewAt, prefix, seed) => {
          expect(sharedCopy(length, before, viewAt, prefix, seed)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a word copy touches nothing past the value, and other replies around it stay whole', () => {
    const shared = new SharedArrayBuffer(64);
    const src = new Uint8Array(shared, 8, 40);
    for (let i = 0; i < 40; i++) src[i] = 0x41 + (i % 26);
    const a = writer();
    a.bulk('head');
    a.bulkBytes(src, 3, 3 + 21, new DataView(shared), 8);
    a.bulk('tail');
    expect(bytes(a)).toBe('$4\r\nhead\r\n$21\r\nDEFGHIJKLMNOPQRSTUVWX\r\n$4\r\ntail\r\n');
  });
});
