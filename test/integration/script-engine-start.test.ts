import { describe, expect, test } from 'vitest';
import { suiteServer } from '../helpers/suite-server.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * The Lua engines start when a script first needs one, not at listen(): a server that
 * never runs a script has no Lua state (INFO's Lua memory is 0), EVAL and SCRIPT LOAD
 * start the EVAL engine in the same turn, FUNCTION LOAD the functions' engine, each
 * without the other. (That a snapshot's libraries load at start-up is proven in
 * test/compat/functions.test.ts; the differential tests cover every reply.)
 */
const lapse = suiteServer();

function field(info: Buffer, name: string): number {
  const m = new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info.toString('latin1'));
  if (m === null) throw new Error(`INFO has no ${name}`);
  return Number(m[1]);
}

describe('the Lua engines start on first use', () => {
  test('no state before the first script; EVAL starts one engine, FUNCTION LOAD the other', async () => {
    const c = await RawClient.connect(lapse.port);
    try {
      let info = await c.call('INFO', 'memory');
      expect(field(info, 'used_memory_vm_eval')).toBe(0);
      expect(field(info, 'used_memory_vm_functions')).toBe(0);
      expect((await c.call('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db')).toString()).toBe('*1\r\n:0\r\n');
      expect((await c.call('FUNCTION', 'LIST')).toString()).toBe('*0\r\n');
      info = await c.call('INFO', 'memory');
      expect(field(info, 'used_memory_vm_eval')).toBe(0);

      expect((await c.call('EVAL', 'return 1', '0')).toString()).toBe(':1\r\n');
      info = await c.call('INFO', 'memory');
      expect(field(info, 'used_memory_vm_eval')).toBeGreaterThan(0);
      expect(field(info, 'used_memory_vm_functions')).toBe(0);

      expect((await c.call('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 2 end)")).toString()).toBe('$3\r\nlib\r\n');
      expect((await c.call('FCALL', 'f', '0')).toString()).toBe(':2\r\n');
      info = await c.call('INFO', 'memory');
      expect(field(info, 'used_memory_vm_functions')).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });
});
