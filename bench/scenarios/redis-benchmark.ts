import { run, type BenchServer } from '../lib/servers.js';

/** One redis-benchmark run: requests per second by test name. */
export async function redisBenchmark(
  server: BenchServer,
  options: { tests: string[]; pipeline: number; requests: number; clients?: number; dataSize?: number; keyspace?: number },
): Promise<Map<string, number>> {
  const common = [
    '-h', '127.0.0.1', '-p', String(server.port),
    '-c', String(options.clients ?? 50),
    '-d', String(options.dataSize ?? 230),
    '-r', String(options.keyspace ?? 100_000),
    '-n', String(options.requests),
    '-P', String(options.pipeline),
    '--csv',
  ];
  const out = new Map<string, number>();
  const builtin = options.tests.filter((t) => t !== 'mget');
  if (builtin.length > 0) {
    const r = await run('redis-benchmark', [...common, '-t', builtin.join(',')]);
    parseCsv(r.out, out);
  }
  if (options.tests.includes('mget')) {
    // redis-benchmark has no MGET test: a custom command over the same keys as SET's.
    const keys = Array.from({ length: 10 }, () => 'key:__rand_int__');
    const r = await run('redis-benchmark', [...common, 'MGET', ...keys]);
    const custom = new Map<string, number>();
    parseCsv(r.out, custom);
    for (const v of custom.values()) out.set('MGET (10 keys)', v);
  }
  return out;
}

/** One redis-benchmark run of a custom command (argv, with __rand_int__ placeholders): requests per second. */
export async function redisBenchmarkCommand(
  server: BenchServer,
  options: { pipeline: number; requests: number; clients?: number; keyspace?: number },
  argv: string[],
): Promise<number> {
  const r = await run('redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(server.port),
    '-c', String(options.clients ?? 50),
    '-r', String(options.keyspace ?? 100_000),
    '-n', String(options.requests),
    '-P', String(options.pipeline),
    '--csv', ...argv,
  ]);
  const out = new Map<string, number>();
  parseCsv(r.out, out);
  if (out.size !== 1) throw new Error(`redis-benchmark ${argv[0]}: no result in ${r.out} ${r.err}`);
  return [...out.values()][0]!;
}

function parseCsv(text: string, into: Map<string, number>): void {
  for (const line of text.split('\n')) {
    const m = /^"([^"]+)","([0-9.]+)"/.exec(line);
    if (m && m[1] !== 'test') into.set(m[1]!, Number(m[2]));
  }
}
