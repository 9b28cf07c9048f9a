import fs from 'node:fs';
import { workerData } from 'node:worker_threads';
import { newCrc64 } from './crc64.js';
import { CHECKSUM_CANCELLED, CHECKSUM_DONE, CHECKSUM_FAILED, computeFileCrc, publishChecksum, type ChecksumWork } from './checksum-offload.js';

/**
 * The thread that computes an RDB file's CRC-64 while the main thread loads it (see
 * checksum-offload.ts): it opens the file itself, makes sure it is the one being loaded
 * (device, inode and size), reads [0, end) and publishes the result.
 */
const work = workerData as ChecksumWork;
const state = new Int32Array(work.state);

try {
  const fd = fs.openSync(work.path, 'r');
  try {
    const stat = fs.fstatSync(fd, { bigint: true });
    if (stat.dev !== work.dev || stat.ino !== work.ino || stat.size !== BigInt(work.size)) {
      publishChecksum(state, CHECKSUM_FAILED, null);
    } else {
      const crc = newCrc64();
      if (computeFileCrc(fd, work.end, crc, state)) publishChecksum(state, CHECKSUM_CANCELLED, null);
      else publishChecksum(state, CHECKSUM_DONE, crc);
    }
  } finally {
    fs.closeSync(fd);
  }
} catch {
  publishChecksum(state, CHECKSUM_FAILED, null);
}
