import fs from 'node:fs';
import path from 'node:path';

/**
 * A file replaced atomically: written to a temporary file in the same directory,
 * fsync'ed, renamed over the target, and the directory fsync'ed so the rename itself is
 * durable. Until the rename the previous file is untouched; a failure (disk full,
 * permission denied, the process killed) leaves it as it was. A failed write removes
 * the temporary file; one left by a killed process is overwritten by the next save.
 *
 * The temporary file is `temp-<pid>.rdb` for SAVE, as Redis names it, and
 * `temp-bg-<pid>.rdb` for BGSAVE: a SAVE (FLUSHALL, SHUTDOWN) may run while an aborted
 * BGSAVE still has a write in flight to its own file, so the two never share one.
 * Servers sharing a process must not share a directory.
 */
export function tempPathFor(dir: string, background: boolean): string {
  return path.join(dir, background ? `temp-bg-${process.pid}.rdb` : `temp-${process.pid}.rdb`);
}

/** Wraps a failure with the step that failed, for the log. */
export class SaveError extends Error {}

/** Redis's error for a failed write to a snapshot's file; `detail` is the system's message. */
export function writeError(detail: string): SaveError {
  return new SaveError(`Write error saving DB on disk: ${detail}`);
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.message}` : String(e);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The synchronous form, for SAVE and the final save at shutdown. */
export class SyncAtomicFile {
  private fd: number;
  readonly tempPath: string;

  constructor(
    readonly dir: string,
    readonly target: string,
  ) {
    this.tempPath = tempPathFor(dir, false);
    try {
      this.fd = fs.openSync(this.tempPath, 'w', 0o644);
    } catch (e) {
      throw new SaveError(
        `Failed opening the temp RDB file ${path.basename(this.tempPath)} (in server root dir ${dir}) for saving: ${describe(e)}`,
      );
    }
  }

  write(chunks: readonly Buffer[]): void {
    try {
      for (const c of chunks) {
        let off = 0;
        while (off < c.length) off += fs.writeSync(this.fd, c, off, c.length - off);
      }
    } catch (e) {
      this.abort();
      throw writeError(describe(e));
    }
  }

  commit(): void {
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tempPath, path.join(this.dir, this.target));
      fsyncDir(this.dir);
    } catch (e) {
      this.abort();
      throw new SaveError(`Error moving temp DB file ${path.basename(this.tempPath)} on the final destination ${this.target} (in server root dir ${this.dir}): ${describe(e)}`);
    }
  }

  abort(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      fs.unlinkSync(this.tempPath);
    } catch {
      // gone already
    }
  }
}

/** The asynchronous form, for BGSAVE: one write in flight at a time. */
export class AsyncAtomicFile {
  /** write() resolves once the bytes are in the file: its buffers may be reused then (SnapshotSink). */
  readonly releasesBuffers = true;
  private handle: fs.promises.FileHandle | null = null;
  readonly tempPath: string;

  private constructor(
    readonly dir: string,
    readonly target: string,
  ) {
    this.tempPath = tempPathFor(dir, true);
  }

  /** The temporary file's descriptor, for a snapshot worker that writes it itself (-1 once closed). */
  get fd(): number {
    return this.handle?.fd ?? -1;
  }

  static async open(dir: string, target: string): Promise<AsyncAtomicFile> {
    const f = new AsyncAtomicFile(dir, target);
    try {
      f.handle = await fs.promises.open(f.tempPath, 'w', 0o644);
    } catch (e) {
      throw new SaveError(
        `Failed opening the temp RDB file ${path.basename(f.tempPath)} (in server root dir ${dir}) for saving: ${describe(e)}`,
      );
    }
    return f;
  }

  async write(chunks: Buffer[]): Promise<void> {
    try {
      let pending = chunks;
      while (pending.length > 0) {
        const { bytesWritten } = await this.handle!.writev(pending);
        pending = skipWritten(pending, bytesWritten);
      }
    } catch (e) {
      throw writeError(describe(e));
    }
  }

  /**
   * fsync, close, rename, fsync the directory. `stillWanted` is asked right before the
   * rename, which is synchronous so that no command runs between the two: an aborted
   * save never replaces a file written after the abort.
   */
  async commit(stillWanted: () => boolean): Promise<boolean> {
    try {
      await this.handle!.sync();
      await this.handle!.close();
      this.handle = null;
      if (!stillWanted()) return false;
      // Renaming over the previous snapshot frees its blocks inside rename(), which for
      // a large file takes tens of ms. Holding the old file open moves that work to the
      // final close, which runs on libuv's thread pool instead of the event loop.
      const targetPath = path.join(this.dir, this.target);
      const previous = await fs.promises.open(targetPath, 'r').catch(() => null);
      if (!stillWanted()) {
        await previous?.close();
        return false;
      }
      try {
        fs.renameSync(this.tempPath, targetPath);
      } finally {
        await previous?.close();
      }
      const dirHandle = await fs.promises.open(this.dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
      return true;
    } catch (e) {
      throw new SaveError(`Error moving temp DB file ${path.basename(this.tempPath)} on the final destination ${this.target} (in server root dir ${this.dir}): ${describe(e)}`);
    }
  }

  /** Closes and removes the temporary file (after a failure or an abort). */
  async abort(): Promise<void> {
    if (this.handle !== null) {
      await this.handle.close().catch(() => {});
      this.handle = null;
    }
    await fs.promises.unlink(this.tempPath).catch(() => {});
  }
}

/** The chunks left after `written` bytes of them went out (a short writev). */
export function skipWritten(chunks: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && written >= chunks[i]!.length) written -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  const rest = chunks.slice(i);
  if (written > 0) rest[0] = rest[0]!.subarray(written);
  return rest;
}
