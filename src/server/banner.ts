/**
 * lapse's start-up logo (its own, an hourglass: keys run out of time), shown where Redis
 * shows its ASCII logo: when logging to a terminal, or with always-show-logo. Written
 * raw, without the log line prefix, as Redis writes its logo.
 */
export function startupBanner(version: string, port: number, pid: number): string {
  const art = [
    '     .-----------.',
    '      \\ ::::::: /',
    '       \\ ::::: /',
    '        \\ ::: /',
    '         ) . (',
    '        /  .  \\',
    '       /  ...  \\',
    '      / ::::::: \\',
    "     '-----------'",
  ];
  const text = [
    '',
    `lapse ${version}, Redis 7.0 compatible, 64 bit`,
    '',
    'Running in standalone mode',
    `Port: ${port}`,
    `PID: ${pid}`,
    '',
    '',
    '',
  ];
  const lines = art.map((a, i) => `${a.padEnd(24)}${text[i] ?? ''}`.trimEnd());
  return `\n${lines.join('\n')}\n\n`;
}
