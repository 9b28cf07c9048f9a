import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { datagramSocket } from '../helpers/datagram-socket.js';
import { SyslogSink, syslogDatagram } from '../../src/server/syslog.js';
import { LineLogger } from '../../src/server/logger.js';

/**
 * syslog-enabled: the datagram glibc's syslog() would send for each log line (Redis calls
 * openlog(ident, LOG_PID, facility) and syslog(level, "%s", msg)), and its delivery to an
 * AF_UNIX datagram socket. The server sends to /dev/log, the system's log: so that no
 * test writes there, delivery is proven here by the sink with a socket of the test's
 * own (a constructor argument, not a server option), and the format as a unit.
 */

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lapse-syslog-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('the datagram', () => {
  test('RFC 3164 as glibc writes it: <PRI>, "Mmm dd hh:mm:ss" (day padded with a space), ident[pid]: ', () => {
    const date = new Date(2026, 11, 5, 7, 8, 9);
    // local0 (16) * 8 + LOG_NOTICE (5)
    expect(syslogDatagram('local0', 'notice', 'redis', 123, 'Ready to accept connections', date)).toBe(
      '<133>Dec  5 07:08:09 redis[123]: Ready to accept connections',
    );
    // user (1) * 8 + LOG_WARNING (4); two-digit day
    expect(syslogDatagram('user', 'warning', 'lapse', 7, 'x', new Date(2026, 0, 15, 23, 59, 0))).toBe('<12>Jan 15 23:59:00 lapse[7]: x');
    // local7 (23) * 8 + LOG_DEBUG (7) = 191; verbose is LOG_INFO (6)
    expect(syslogDatagram('local7', 'debug', 'r', 1, 'd', date).slice(0, 5)).toBe('<191>');
    expect(syslogDatagram('local3', 'verbose', 'r', 1, 'v', date).slice(0, 5)).toBe('<158>');
  });
});

describe('delivery', () => {
  test('each line that passes the log level reaches the socket; a socket that is gone is reported once', async () => {
    const socketPath = path.join(scratch, 'log');
    const reader = await datagramSocket(socketPath);
    const warnings: string[] = [];
    const sink = new SyslogSink(() => 'lapse-test', () => 'local1', (m) => warnings.push(m), socketPath);
    const logger = new LineLogger(() => 'notice', () => path.join(scratch, 'file.log'), sink);
    logger.log('verbose', 'filtered out');
    logger.log('notice', 'first');
    logger.log('warning', 'second');
    await reader.waitForCount(2);
    await reader.close();
    const received = reader.messages();
    expect(received).toHaveLength(2);
    expect(received[0]).toMatch(new RegExp(`^<141>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d lapse-test\\[${process.pid}\\]: first$`));
    expect(received[1]).toMatch(/^<140>.* lapse-test\[\d+\]: second$/);
    expect(fs.readFileSync(path.join(scratch, 'file.log'), 'latin1')).toMatch(/ \* first\n.* # second\n$/);
    expect(warnings).toEqual([]);

    // The reader is gone: the line is dropped (as glibc drops it), the reason told once.
    logger.log('notice', 'lost');
    logger.log('notice', 'lost too');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^syslog-enabled is set but log lines cannot be sent to syslog: .*log: /);
  });
});
