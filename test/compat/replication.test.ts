import { describe, test } from 'vitest';
import { pairSuite } from './harness.js';

/**
 * Replication's commands, against redis-server 7.0, for what lapse has so far: a primary
 * without replicas (the write stream is compared in propagation.test.ts).
 */
const p = pairSuite();

describe('a primary without replicas', () => {
  test('ROLE, and its COMMAND INFO and DOCS', async () => {
    await p.exact('ROLE');                                                       // exact: master, offset 0, no replicas
    await p.exact('SET', 'k', 'v');                                              // exact
    await p.exact('ROLE');                                                       // exact: still offset 0 (no backlog)
    await p.exact('ROLE', 'extra');                                              // exact: arity
    await p.exact('COMMAND', 'INFO', 'ROLE');                                    // exact
    await p.exact('COMMAND', 'DOCS', 'ROLE');                                    // exact
  });
});
