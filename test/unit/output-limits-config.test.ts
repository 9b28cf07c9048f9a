import { describe, expect, test } from 'vitest';
import { Config, argvToConfig, loadConfigText } from '../../src/config/config.js';
import { outputBufferLimitsOf } from '../../src/config/output-limits.js';

/** client-output-buffer-limit from the command line and a config file (src/config/output-limits.ts). */

const MB = 1024 * 1024;

describe('client-output-buffer-limit from the command line and config files', () => {
  test('several words are one value; later lines set only their classes', () => {
    const config = new Config();
    const { text } = argvToConfig(['--client-output-buffer-limit', 'pubsub', '1mb', '2mb', '3', 'normal', '4', '5', '6']);
    loadConfigText(config, text + '\nclient-output-buffer-limit replica 7 8 9\n', 'test');
    expect(config.string('client-output-buffer-limit')).toBe('normal 4 5 6 slave 7 8 9 pubsub 1048576 2097152 3');
    expect(outputBufferLimitsOf(config.string('client-output-buffer-limit')).pubsub).toEqual({ hard: MB, soft: 2 * MB, softSeconds: 3 });
    expect(() => loadConfigText(config, 'client-output-buffer-limit master 1 2 3', 'test')).toThrow(/Invalid client class specified in buffer limit configuration\./);
  });
});
