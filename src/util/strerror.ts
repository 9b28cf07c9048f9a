/**
 * glibc's strerror() text for an errno that node reports by name (e.code), as Redis
 * prints it in its errors and log lines; undefined for a name this table lacks (the
 * caller then says what node said).
 */
export function strerror(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(TEXTS, code) ? TEXTS[code] : undefined;
}

const TEXTS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EINVAL: 'Invalid argument',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  ENODEV: 'No such device',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOBUFS: 'No buffer space available',
  ENOMEM: 'Cannot allocate memory',
};
