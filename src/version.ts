/** lapse's own version (INFO lapse_version, the log). */
export const VERSION = '0.1.0';
/** The Redis version lapse reports in INFO and HELLO: the one whose behaviour it follows. */
export const REDIS_COMPAT_VERSION = '7.0.15';
