import { describe, expect, test } from 'vitest';
import { adjustOpenFilesLimit, readOpenFilesLimit, type OpenFilesSystem } from '../../src/server/open-files.js';

/**
 * adjustOpenFilesLimit's decisions with the system calls replaced: which limits it asks
 * for, the maxclients it settles on, and its log lines (Redis's adjustOpenFilesLimit
 * reached through setrlimit's rules: up to the hard limit without privilege, anything
 * with it). test/compat/maxclients.test.ts compares the real thing with Redis.
 */

function fakeSystem(soft: number, hard: number, privileged = false, failAll?: string): OpenFilesSystem & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    read: () => ({ soft, hard }),
    set(newSoft, newHard) {
      calls.push(`${newSoft}:${newHard}`);
      if (failAll !== undefined) return failAll;
      if (newHard > hard && !privileged) return 'Operation not permitted';
      soft = newSoft;
      hard = newHard;
      return null;
    },
  };
}

function run(maxclients: number, system: OpenFilesSystem): { result: number | null; lines: string[] } {
  const lines: string[] = [];
  const result = adjustOpenFilesLimit(maxclients, (level, message) => lines.push(`${level}: ${message}`), system);
  return { result, lines };
}

describe('adjustOpenFilesLimit', () => {
  test('enough descriptors: nothing is asked, nothing logged', () => {
    const system = fakeSystem(20000, 20000);
    expect(run(10000, system)).toEqual({ result: 10000, lines: [] });
    expect(system.calls).toEqual([]);
  });

  test('a soft limit under the need and a hard limit over it: the soft limit is raised, the hard one kept', () => {
    const system = fakeSystem(256, 20000);
    expect(run(5000, system)).toEqual({
      result: 5000,
      lines: ['notice: Increased maximum number of open files to 5032 (it was originally set to 256).'],
    });
    expect(system.calls).toEqual(['5032:20000']);
  });

  test('a hard limit under the need: raised only with the privilege to', () => {
    const privileged = fakeSystem(1024, 1024, true);
    expect(run(20000, privileged).result).toBe(20000);
    expect(privileged.calls).toEqual(['20032:20032']);
  });

  test('otherwise maxclients is lowered to the limit less 32, with the three lines', () => {
    const system = fakeSystem(256, 256);
    expect(run(20000, system)).toEqual({
      result: 224,
      lines: [
        'warning: You requested maxclients of 20000 requiring at least 20032 max file descriptors.',
        "warning: Server can't set maximum open files to 20032 because of OS error: Operation not permitted.",
        "warning: Current maximum open files is 256. maxclients has been reduced to 224 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
      ],
    });
  });

  test('a soft limit under a hard limit that is itself short: raised to the last step of 16 under the hard limit', () => {
    // Redis: 20032 and 20016 fail, 20000 works.
    const system = fakeSystem(256, 20010);
    const { result, lines } = run(20000, system);
    expect(system.calls).toEqual(['20032:20032', '20000:20010']);
    expect(result).toBe(19968);
    expect(lines.at(-1)).toBe(
      "warning: Current maximum open files is 20000. maxclients has been reduced to 19968 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
    );
  });

  test('no prlimit: the limit stays, the line says why', () => {
    const system = fakeSystem(256, 20000, false, 'prlimit could not be run (ENOENT)');
    const { result, lines } = run(1000, system);
    expect(result).toBe(224);
    expect(lines[1]).toBe("warning: Server can't set maximum open files to 1032 because of OS error: prlimit could not be run (ENOENT).");
  });

  test('a limit of 32 or less cannot serve a client: null, with Redis\'s exit line', () => {
    const { result, lines } = run(100, fakeSystem(30, 30));
    expect(result).toBeNull();
    expect(lines).toEqual([
      "warning: Your current 'ulimit -n' of 30 is not enough for the server to start. Please increase your open file limit to at least 132. Exiting.",
    ]);
  });

  test("a maxclients within 32 of 2^32 needs a few descriptors, as in Redis's unsigned int arithmetic", () => {
    const system = fakeSystem(256, 256);
    expect(run(4294967295, system)).toEqual({ result: 4294967295, lines: [] });
  });

  test('limits that cannot be read: 1024 assumed, as Redis', () => {
    const lines: string[] = [];
    const result = adjustOpenFilesLimit(5000, (_l, m) => lines.push(m), { read: () => ({ error: 'no /proc' }), set: () => null });
    expect(result).toBe(992);
    expect(lines).toEqual(['Unable to obtain the current NOFILE limit (no /proc), assuming 1024 and setting the max clients configuration accordingly.']);
  });

  test('the real limits of this process are read', () => {
    const limit = readOpenFilesLimit();
    expect('error' in limit).toBe(false);
    if (!('error' in limit)) expect(limit.soft).toBeLessThanOrEqual(limit.hard);
  });
});
