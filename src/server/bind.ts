import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import { strerror } from '../util/strerror.js';

/**
 * The `bind` directive's addresses, read as Redis 7.0 reads them (server.c listenToPort,
 * anet.c _anetTcpServer):
 *
 *   - a leading '-' makes the address optional: skipped if it is not available
 *     (EADDRNOTAVAIL: not an address of this machine, or IPv6 turned off); any other
 *     failure (a bad name, an address in use, a link-local address without a scope)
 *     still stops the server;
 *   - an address with ':' is IPv6 (listened to with IPV6_V6ONLY), any other IPv4;
 *   - `*` is every IPv4 address (0.0.0.0), `::*` every IPv6 address (::);
 *   - a name is resolved in its family (IPv4 unless it has ':') and its first address
 *     is used, as getaddrinfo returns it;
 *   - whatever the address, a failure to create a socket of its family (no IPv6 in the
 *     kernel: EAFNOSUPPORT and its kind) skips it, optional or not.
 *
 * Failures are described in Redis's words: glibc's texts for the errno of bind() and for
 * getaddrinfo's errors, where node reports libuv's.
 */

export interface BindAddress {
  /** The address as Redis prints it in its log (without the '-'). */
  readonly text: string;
  readonly optional: boolean;
  readonly family: 4 | 6;
  /** What to resolve, or the address itself (null: every address of the family). */
  readonly host: string | null;
}

export function parseBindAddress(entry: string): BindAddress {
  const optional = entry.startsWith('-');
  const text = optional ? entry.slice(1) : entry;
  const family = text.includes(':') ? 6 : 4;
  const any = text === '*' || (family === 6 && text === '::*');
  return { text, optional, family, host: any ? null : text };
}

/** The address to listen on: a literal, a name resolved in the address's family, or the wildcard. */
export async function resolveBindAddress(a: BindAddress): Promise<string> {
  if (a.host === null) return a.family === 6 ? '::' : '0.0.0.0';
  if (net.isIP(a.host) !== 0) return a.host;
  const { address } = await dns.promises.lookup(a.host, { family: a.family });
  return address;
}

/**
 * What a failed listen means for the address: skipped with a warning ('skip') or fatal.
 * As listenToPort: EADDRNOTAVAIL only when optional; the socket family errors always.
 */
export function bindFailureSkips(a: BindAddress, code: string | undefined): boolean {
  if (code === 'EADDRNOTAVAIL') return a.optional;
  return code !== undefined && FAMILY_ERRORS.has(code);
}

const FAMILY_ERRORS = new Set(['ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT', 'EAFNOSUPPORT']);

/** Redis's anet error text for a failed listen (server.neterr). */
export function bindFailureText(error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  if (error.syscall === 'getaddrinfo' || code.startsWith('EAI_') || code === 'ENOTFOUND') {
    return GAI_TEXTS[code] ?? error.message;
  }
  // The socket could not be created for the family (Redis tries each result of
  // getaddrinfo, then reports errno).
  if (FAMILY_ERRORS.has(code)) return `unable to bind socket, errno: ${os.constants.errno[code as keyof typeof os.constants.errno]}`;
  const text = strerror(code);
  return text === undefined ? error.message : `bind: ${text}`;
}

/** gai_strerror of the errors node reports by code (it reports EAI_NONAME and EAI_NODATA as ENOTFOUND). */
const GAI_TEXTS: Record<string, string> = {
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
  EAI_FAMILY: 'ai_family not supported',
  EAI_MEMORY: 'Memory allocation failure',
  EAI_SERVICE: 'Servname not supported for ai_socktype',
  EAI_SOCKTYPE: 'ai_socktype not supported',
  EAI_ADDRFAMILY: 'Address family for hostname not supported',
  EAI_NODATA: 'No address associated with hostname',
  EAI_NONAME: 'Name or service not known',
};
