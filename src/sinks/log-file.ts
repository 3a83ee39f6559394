import * as fs from 'node:fs';
import * as path from 'node:path';
import { rotateIfFull } from './rotation';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// O_APPEND: every write lands whole at the end, whoever else appends. O_NOFOLLOW: a symlink at
// the path fails (ELOOP) instead of redirecting the report. O_NONBLOCK: a FIFO without a reader
// fails (ENXIO) instead of hanging the open; it changes nothing for a regular file.
const OPEN_FLAGS = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;

/** The path exists but is not a regular file (a device, a FIFO, a socket): refused, never written. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';
}

/**
 * The log's descriptor, kept open between batches. Before each batch `prepare()` makes it the
 * file now at the path (reopening when another process rotated it: path's ino differs from the
 * descriptor's) and rotates when the batch would take it past maxBytes. Only metadata calls here,
 * synchronous; the data write is the caller's.
 */
export class LogFile {
  private fd: number | undefined;
  private ino = 0;
  private dev = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly backups: number,
  ) {}

  /**
   * The descriptor to append `incoming` bytes to, or undefined while another writer holds the
   * rotation lock (ask again shortly, or take `descriptor()` if waiting is not possible).
   * Throws when the path cannot be opened or is refused.
   */
  prepare(incoming: number): number | undefined {
    // Twice at most: a file just reopened after someone else's rotation may be full already.
    for (let attempt = 0; attempt < 2; attempt++) {
      const fd = this.descriptor();
      const size = fs.fstatSync(fd).size;
      if (size === 0 || size + incoming <= this.maxBytes) return fd;
      const outcome = rotateIfFull(this.file, this.ino, incoming, this.maxBytes, this.backups);
      if (outcome === 'busy') return undefined;
      if (outcome === 'keep') return fd;
      this.close();
    }
    return this.descriptor();
  }

  /** The file now at the path, opened (or reopened) without rotating. */
  descriptor(): number {
    if (this.fd !== undefined) {
      if (this.stillAtPath()) return this.fd;
      this.close();
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.file, OPEN_FLAGS, 0o600);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      fs.closeSync(fd);
      throw new NotRegularFileError(`${this.file} is not a regular file`);
    }
    this.fd = fd;
    this.ino = stat.ino;
    this.dev = stat.dev;
    return fd;
  }

  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // Nothing to do: the descriptor is gone either way.
    }
  }

  private stillAtPath(): boolean {
    try {
      const stat = fs.lstatSync(this.file);
      return stat.ino === this.ino && stat.dev === this.dev;
    } catch {
      return false;
    }
  }
}

/** One write of the whole buffer; a short write (rare on a regular file) continues with the rest. */
export function appendWhole(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (offset: number) =>
      fs.write(fd, data, offset, data.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < data.length) next(offset + written);
        else resolve();
      });
    next(0);
  });
}

export function appendWholeSync(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset, null);
}
