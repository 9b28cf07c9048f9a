import { expandProcTitle } from '../config/proc-title-template.js';
import type { Config } from '../config/config.js';

/**
 * The process title (set-proc-title, proc-title-template), as Redis's redisSetProcTitle:
 * the template with {title} (the command as started), {listen-addr} (the first bind
 * address, or *, and the port), {server-mode} (empty: standalone), {config-file},
 * {port}, {tls-port} and {unixsocket}. Node's process.title rewrites the command line
 * that ps shows, within the length of the original one.
 */
export function setProcessTitle(config: Config, configFile: string, title: string = defaultTitle()): void {
  const port = config.number('port');
  const tlsPort = config.number('tls-port');
  const bind = config.list('bind');
  const expanded = expandProcTitle(config.string('proc-title-template'), (name) => {
    switch (name) {
      case 'title': return title;
      case 'listen-addr':
        return port || tlsPort ? `${bind[0] ?? '*'}:${port || tlsPort}` : `unixsocket:${config.string('unixsocket')}`;
      case 'server-mode': return '';
      case 'config-file': return configFile || '-';
      case 'port': return String(port);
      case 'tls-port': return String(tlsPort);
      default: return config.string('unixsocket');
    }
  });
  if (expanded !== null) process.title = expanded;
}

/** Redis's {title} is argv[0] as started; lapse's is the script it runs. */
function defaultTitle(): string {
  return process.argv[1] ?? 'lapse';
}
