import { describe, expect, test } from 'vitest';
import { createServer } from '../../src/index.js';
import { parseSavePoints } from '../../src/config/save-points.js';

/** Which save points a server starts with, from each source, as CONFIG GET save prints them. */
function savePoints(options: Parameters<typeof createServer>[0]): string {
  const server = createServer(options);
  return server.config.matching(['save'])[0]![1];
}

describe('save points', () => {
  test('embedded: none by default; the CLI: Redis defaults; options and files override', () => {
    expect(savePoints({})).toBe('');
    expect(savePoints({ persistence: 'redis' })).toBe('3600 1 300 100 60 10000');
    expect(savePoints({ save: '60 5' })).toBe('60 5');
    expect(savePoints({ persistence: 'redis', save: '' })).toBe('');
    // In a config file the first `save` line replaces the defaults and later ones add to
    // it, as in Redis 7.0; `save ""` empties it.
    expect(savePoints({ persistence: 'redis', configText: 'save 900 1\nsave 300 10\n' })).toBe('900 1 300 10');
    expect(savePoints({ persistence: 'redis', configText: 'save ""\n' })).toBe('');
    expect(savePoints({ persistence: 'redis', configText: 'save 900 1 300 10\n' })).toBe('900 1 300 10');
    expect(() => savePoints({ configText: 'save 900\n' })).toThrow(/Invalid save parameters/);
    expect(() => savePoints({ save: '0 1' })).toThrow(/Invalid save parameters/);
  });

  test('parsing: pairs, seconds >= 1, changes >= 0, as strtoll reads them', () => {
    expect(parseSavePoints('')).toEqual([]);
    expect(parseSavePoints('3600 1 300 100')).toEqual([{ seconds: 3600, changes: 1 }, { seconds: 300, changes: 100 }]);
    expect(parseSavePoints('10 0')).toEqual([{ seconds: 10, changes: 0 }]);
    expect(parseSavePoints('+10 -0')).toEqual([{ seconds: 10, changes: 0 }]);
    expect(parseSavePoints('10')).toBeNull();
    expect(parseSavePoints('0 1')).toBeNull();
    expect(parseSavePoints('1 -1')).toBeNull();
    expect(parseSavePoints('1 1x')).toBeNull();
    // Split at every space, as sdssplitlen: doubled spaces make empty words, read as 0.
    expect(parseSavePoints(' 5 1')).toBeNull();
    expect(parseSavePoints('5 1 ')).toBeNull();
    expect(parseSavePoints('5  1 1')).toEqual([{ seconds: 5, changes: 0 }, { seconds: 1, changes: 1 }]);
  });
});

describe('a scheduled background save', () => {
  test('the cron starts it on its next tick', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-schedule-'));
    const server = createServer({ port: 0, bind: '127.0.0.1', dir });
    await server.listen();
    server.keyspace.dbs[0]!.set('k', 'v');
    server.persistence.scheduleBgsave();
    expect(server.persistence.bgsaveInProgress).toBe(false);
    const until = Date.now() + 3000;
    while (!fs.existsSync(path.join(dir, 'dump.rdb')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await server.persistence.waitBgsave();
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
