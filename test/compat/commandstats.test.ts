import { describe, expect, test } from 'vitest';
import { pairSuite, show } from './harness.js';
import { encodeCommand } from '../helpers/resp.js';
import type { RawClient } from '../helpers/raw-client.js';

/**
 * INFO commandstats, latencystats and errorstats, and CONFIG RESETSTAT, against
 * redis-server 7.0: the same commands on both, then the sections compared. Times are
 * the one thing that differs: `usec` and `usec_per_call` are masked (their format is
 * checked), latencystats is compared by the commands it names and the format of each
 * percentile. The order of the lines is Redis's hash order, so lines compare as a set.
 */
const p = pairSuite({
  redis: ['--enable-debug-command', 'yes'],
  lapse: { configText: 'enable-debug-command yes\n' },
});

async function info(section: string): Promise<[string[], string[]]> {
  const [r, l] = await p.both(['INFO', section]);
  const lines = (b: Buffer) =>
    b
      .toString('latin1')
      .split('\r\n')
      .filter((x) => x !== '' && !x.startsWith('$') && !x.startsWith('#'));
  return [lines(r), lines(l)];
}

/** A commandstats line with its times masked, after checking their format. */
function maskTimes(line: string): string {
  const m = /^(cmdstat_[^:]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$/.exec(line);
  expect(m, line).not.toBeNull();
  return `${m![1]}:calls=${m![2]},usec=*,usec_per_call=*,rejected_calls=${m![5]},failed_calls=${m![6]}`;
}

async function sameCommandstats(): Promise<void> {
  const [r, l] = await info('commandstats');
  expect(l.map(maskTimes).sort()).toEqual(r.map(maskTimes).sort()); // as a set: calls, refusals, failures
}

async function sendBoth(on: [RawClient, RawClient], argv: string[]): Promise<void> {
  for (const c of on) c.write(encodeCommand(argv));
}

describe('INFO commandstats', () => {
  test('calls, rejected and failed calls of commands, subcommands, transactions and scripts', async () => {
    await p.exact('CONFIG', 'RESETSTAT');                                  // exact
    await sameCommandstats();
    await p.run([['SET', 'k', 'v'], ['GET', 'k'], ['GET', 'nosuch'], ['CONFIG', 'GET', 'maxmemory']]);
    await p.error('INCR', 'k');                                            // failed: not an integer
    await p.error('GET');                                                  // rejected: arity
    await p.error('NOSUCHCOMMAND');                                        // counted nowhere
    await p.error('CONFIG', 'NOSUCH');                                     // counted nowhere
    await p.run([['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['LPUSH', 'a', 'x']]);
    await p.exact('EXEC');                                                 // exact: the LPUSH fails inside
    await p.exact('EVAL', "redis.call('set', KEYS[1], 'x'); return redis.pcall('incr', KEYS[1])", '1', 's'); // exact
    await p.error('EVAL', "return redis.call('nosuch')", '0');             // the script's refusal
    await p.error('EVAL', "return redis.call('get')", '0');                // arity inside a script: rejected
    await sameCommandstats();
  });

  test('a blocked BLPOP counts once when it blocks, its serving adds its time', async () => {
    await p.exact('CONFIG', 'RESETSTAT');
    const waiting = await p.connect();
    await sendBoth(waiting, ['BLPOP', 'q', '0']);
    await new Promise((r) => setTimeout(r, 100));
    await p.exact('LPUSH', 'q', 'job');                                    // exact: 1, the waiter takes it
    for (const c of waiting) {
      for (let i = 0; i < 100 && c.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    }
    expect(show(waiting[1].pending())).toBe(show(waiting[0].pending()));  // exact: the BLPOP reply
    await sameCommandstats();
  });

  test('a BLPOP that times out counts once, and has no latency sample; a served BLMOVE to a key of another type is a failed call', async () => {
    await p.exact('CONFIG', 'RESETSTAT');
    await p.exact('BLPOP', 'nothing', '0.05');                             // exact: nil after the timeout
    await sameCommandstats();
    const names = (lines: string[]) => lines.map((l) => l.split(':')[0]).sort();
    let [r, l] = await info('latencystats');
    expect(names(l)).toEqual(names(r));                                    // blpop is not there on either
    await p.run([['SET', 'dst', 'a string']]);
    const waiting = await p.connect();
    for (const c of waiting) c.write(encodeCommand(['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0']));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await p.exact('RPUSH', 'src', 'x');                                    // exact: serves the BLMOVE, which fails
    for (const c of waiting) {
      for (let i = 0; i < 100 && c.pending().length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    }
    expect(show(waiting[1].pending())).toBe(show(waiting[0].pending()));  // exact: the WRONGTYPE error
    await sameCommandstats();
    [r, l] = await info('latencystats');
    expect(names(l)).toEqual(names(r));
  });

  test('CONFIG RESETSTAT leaves the slow log and the latency monitor alone', async () => {
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await p.exact('SLOWLOG', 'RESET');
    await p.run([['SET', 'k', 'v']]);
    await p.exact('CONFIG', 'RESETSTAT');
    await p.exact('SLOWLOG', 'LEN');                                       // exact: RESET, SET, RESETSTAT
    await p.exact('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  });

  test('CONFIG RESETSTAT clears the counters; the section then shows RESETSTAT itself', async () => {
    await p.run([['SET', 'k', 'v'], ['GET', 'k']]);
    await p.exact('CONFIG', 'RESETSTAT');                                  // exact
    await sameCommandstats();
  });
});

describe('INFO latencystats', () => {
  /** `latency_percentiles_usec_<cmd>` with the percentile names, values checked for format and masked. */
  const shape = (line: string) => {
    const [name, values] = line.split(':');
    return `${name}:${values!
      .split(',')
      .map((pv) => {
        expect(pv, line).toMatch(/^p[0-9.]+=\d+\.\d{3}$/);
        return pv.replace(/=.*/, '=*');
      })
      .join(',')}`;
  };

  test('the commands that ran, with latency-tracking-info-percentiles; nothing when latency-tracking is off', async () => {
    await p.exact('CONFIG', 'RESETSTAT');
    await p.run([['SET', 'k', 'v'], ['GET', 'k'], ['HSET', 'h', 'f', 'v'], ['CONFIG', 'GET', 'hz']]);
    let [r, l] = await info('latencystats');
    expect(l.map(shape).sort()).toEqual(r.map(shape).sort());             // as a set: names and percentiles
    await p.exact('CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 50 99.99 100'); // exact
    [r, l] = await info('latencystats');
    expect(l.map(shape).sort()).toEqual(r.map(shape).sort());
    await p.exact('CONFIG', 'SET', 'latency-tracking', 'no');              // exact
    await p.exact('INFO', 'latencystats');                                 // exact: the title only
    await p.exact('CONFIG', 'SET', 'latency-tracking', 'yes');
    await p.exact('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
  });

  test('INFO all and everything list commandstats and latencystats in Redis order; default does not', async () => {
    for (const args of [['all'], ['everything'], ['default'], ['commandstats', 'latencystats', 'errorstats']]) {
      const [r, l] = await p.both(['INFO', ...args]);
      const titles = (b: Buffer) => b.toString('latin1').split('\r\n').filter((x) => x.startsWith('# '));
      expect(titles(l), args.join(' ')).toEqual(titles(r));               // section titles in order
    }
  });
});

describe('INFO errorstats', () => {
  test('errors by their first word, from commands, refusals and scripts', async () => {
    await p.exact('CONFIG', 'RESETSTAT');
    await p.run([['SET', 's', 'x']]);
    await p.error('INCR', 's');
    await p.error('LPUSH', 's', 'x');
    await p.error('GET');
    await p.error('EVAL', "return redis.error_reply('MYERR custom')", '0');
    await p.error('EVAL', "return redis.call('lpush', KEYS[1], 'x')", '1', 's');
    const [r, l] = await info('errorstats');
    expect(l).toEqual(r);                                                  // exact: every line, in order
  });
});
