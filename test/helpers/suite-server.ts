import { afterAll, beforeAll } from 'vitest';
import { createServer, type LapseServer } from '../../src/index.js';

/**
 * One in-process lapse for a test file: started on a free loopback port before its
 * tests, closed after them. Read `server` and `port` inside tests (they are set once
 * beforeAll has run).
 */
export function suiteServer(): { server: LapseServer; port: number } {
  const suite = { server: undefined as unknown as LapseServer, port: 0 };
  beforeAll(async () => {
    suite.server = createServer({ port: 0, bind: '127.0.0.1' });
    suite.port = (await suite.server.listen()).port;
  });
  afterAll(() => suite.server.close());
  return suite;
}
