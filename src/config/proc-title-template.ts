/**
 * The proc-title-template parameter's format (Redis 7.0's sdstemplate and
 * redisProcTitleGetVariable): how a template expands, and whether it is valid. The
 * process title itself is set by src/process/title.ts.
 */

/** The process-title variables Redis 7.0 knows (redisProcTitleGetVariable). */
const PROC_TITLE_VARIABLES = new Set(['title', 'listen-addr', 'server-mode', 'config-file', 'port', 'tls-port', 'unixsocket']);

/**
 * Redis's validateProcTitleTemplate: the template expands (sdstemplate: '{{' is a literal
 * '{', '{name}' a known variable, anything else an error) with an empty title, and the
 * result, trimmed of spaces, is not empty. Expanded with every variable empty, which is
 * what decides validity: only the title can be empty in Redis.
 */
export function expandProcTitle(template: string, variable: (name: string) => string): string | null {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    if (open + 1 >= template.length) return null;
    if (template[open + 1] === '{') {
      out += '{';
      i = open + 2;
      continue;
    }
    const close = template.indexOf('}', open + 1);
    if (close < 0) return null;
    const name = template.slice(open + 1, close);
    if (!PROC_TITLE_VARIABLES.has(name)) return null;
    out += variable(name);
    i = close + 1;
  }
  return out.replace(/^ +| +$/g, '');
}

export function isValidProcTitleTemplate(template: string): string | null {
  const probe = expandProcTitle(template, (name) => (name === 'title' ? '' : 'x'));
  return probe === null || probe === '' ? 'template format is invalid or contains unknown variables' : null;
}
