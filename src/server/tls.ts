import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { ParamValue } from '../config/params.js';

/**
 * TLS settings from the tls-* parameters, checked as Redis 7.0's tlsConfigure checks
 * them: the same parameters, the same requirements, the same log lines when they are
 * not met. The listeners (listeners.ts) serve the same protocol over TLS as over TCP.
 */

/** Why the TLS settings cannot be used: the lines Redis logs. */
export class TlsConfigError extends Error {}

export type ClientAuth = 'no' | 'yes' | 'optional';

export interface TlsSettings {
  /** For tls.createServer / setSecureContext. */
  readonly options: tls.TlsOptions;
  /** tls-auth-clients: 'yes' needs a valid certificate; 'optional' refuses only an invalid one. */
  readonly clientAuth: ClientAuth;
  readonly sessionCaching: boolean;
  readonly sessionCacheSize: number;
}

/** Redis's default when tls-protocols is empty. */
const DEFAULT_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
const PROTOCOL_ORDER: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Redis refuses client-initiated renegotiation; without session caching, no tickets. */
const { SSL_OP_NO_RENEGOTIATION, SSL_OP_NO_TICKET } = crypto.constants;

/**
 * Reads the certificate, key and CA files and checks the settings; throws TlsConfigError
 * with the reasons (Redis logs them and refuses to start, or CONFIG SET fails).
 */
export function tlsSettings(get: (name: string) => ParamValue): TlsSettings {
  const str = (name: string) => String(get(name));
  const certFile = str('tls-cert-file');
  const keyFile = str('tls-key-file');
  const caFile = str('tls-ca-cert-file');
  const caDir = str('tls-ca-cert-dir');
  const clientAuth = str('tls-auth-clients') as ClientAuth;
  if (certFile === '') throw new TlsConfigError('No tls-cert-file configured!');
  if (keyFile === '') throw new TlsConfigError('No tls-key-file configured!');
  if (clientAuth !== 'no' && caFile === '' && caDir === '') {
    throw new TlsConfigError(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
    );
  }
  const protocols = parseProtocols(str('tls-protocols'));
  const options: tls.TlsOptions = {
    cert: readFile(certFile, 'Failed to load certificate'),
    key: readFile(keyFile, 'Failed to load private key'),
    minVersion: protocols[0],
    maxVersion: protocols[protocols.length - 1],
    honorCipherOrder: get('tls-prefer-server-ciphers') === true,
    // Without session caching (tls-session-caching no) Redis resumes no session at all:
    // no tickets either.
    secureOptions: SSL_OP_NO_RENEGOTIATION | (get('tls-session-caching') === true ? 0 : SSL_OP_NO_TICKET),
    sessionTimeout: Number(get('tls-session-cache-timeout')),
  };
  const passphrase = str('tls-key-file-pass');
  if (passphrase !== '') options.passphrase = passphrase;
  const ca: Buffer[] = [];
  if (caFile !== '') ca.push(readFile(caFile, 'Failed to configure CA certificate(s) file/directory'));
  if (caDir !== '') ca.push(...readCaDir(caDir));
  if (ca.length > 0) options.ca = ca;
  const dh = str('tls-dh-params-file');
  if (dh !== '') options.dhparam = readFile(dh, 'Failed to load');
  // TLS 1.2 ciphers and TLS 1.3 suites: Node takes both in one list.
  const ciphers = [str('tls-ciphersuites'), str('tls-ciphers')].filter((c) => c !== '').join(':');
  if (ciphers !== '') options.ciphers = ciphers;
  // The certificate is asked for here and judged once the handshake is done (listeners.ts):
  // Node's own rejection of an invalid one drops the connection abruptly.
  if (clientAuth !== 'no') {
    options.requestCert = true;
    options.rejectUnauthorized = false;
  }
  // Checks that the pieces fit (key matches certificate, ciphers exist, passphrase right).
  try {
    tls.createSecureContext(options);
  } catch (e) {
    throw new TlsConfigError(`Failed to configure TLS: ${(e as Error).message}`);
  }
  return {
    options,
    clientAuth,
    sessionCaching: get('tls-session-caching') === true,
    sessionCacheSize: Number(get('tls-session-cache-size')),
  };
}

/** tls-protocols: TLSv1 TLSv1.1 TLSv1.2 TLSv1.3, any case, separated by single spaces. */
function parseProtocols(text: string): tls.SecureVersion[] {
  if (text === '') return [...DEFAULT_PROTOCOLS];
  const found = new Set<tls.SecureVersion>();
  for (const token of text.split(' ')) {
    const version = PROTOCOL_ORDER.find((v) => v.toLowerCase() === token.toLowerCase());
    if (version === undefined) {
      throw new TlsConfigError(
        "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
      );
    }
    found.add(version);
  }
  return PROTOCOL_ORDER.filter((v) => found.has(v));
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new TlsConfigError(`${what}: ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Every PEM file of a CA directory (OpenSSL looks them up by hash; Node needs them all). */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new TlsConfigError(
      `Failed to configure CA certificate(s) file/directory: ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const out: Buffer[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    try {
      const data = fs.readFileSync(file);
      if (data.includes('-----BEGIN CERTIFICATE-----')) out.push(data);
    } catch {
      // Not a readable file (a subdirectory): OpenSSL skips it too.
    }
  }
  return out;
}

/**
 * The server-side TLS session cache (tls-session-caching, -size, -timeout): sessions by
 * id, the oldest dropped past the size, each kept for the timeout.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, { data: Buffer; expires: number }>();

  constructor(
    private readonly size: () => number,
    private readonly timeoutSeconds: () => number,
  ) {}

  attach(server: tls.Server, enabled: () => boolean): void {
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (enabled() && this.size() > 0) {
        const key = id.toString('hex');
        this.sessions.delete(key);
        this.sessions.set(key, { data, expires: Date.now() + this.timeoutSeconds() * 1000 });
        while (this.sessions.size > this.size()) this.sessions.delete(this.sessions.keys().next().value!);
      }
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      const key = id.toString('hex');
      const entry = this.sessions.get(key);
      if (entry === undefined || !enabled() || entry.expires < Date.now()) {
        this.sessions.delete(key);
        done(null, null);
      } else done(null, entry.data);
    });
  }

  clear(): void {
    this.sessions.clear();
  }
}
