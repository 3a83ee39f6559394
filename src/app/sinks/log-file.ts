import * as fs from 'node:fs';
import * as path from 'node:path';
import { mimaHome } from '../config';
import { warnGuardProblem } from '../warnings';
import { describeOwner, modeText, untrustedDirectory } from './path-trust';
import { rotateIfFull } from './rotation';

const { O_RDWR, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// O_APPEND: every write lands whole at the end, whoever else appends. O_NOFOLLOW: a symlink at
// the path fails (ELOOP) instead of redirecting the report. O_NONBLOCK: opening a FIFO or a device
// never hangs (it is then refused as not a regular file); it changes nothing for a regular file.
// O_RDWR: the last byte is read on open, to find a line a cut-short write left unfinished.
const OPEN_FLAGS = O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;

/** The path exists but is not a regular file (a device, a FIFO, a socket): refused, never written. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';
}

/**
 * The log's directory, or the file in it, is one another user could tamper with: refused, never
 * written. The message names the path and what is accepted.
 */
export class UnsafeLogPathError extends Error {
  readonly code = 'EUNSAFELOGPATH';
}

/** What the directory and file rules accept, for the refusal's message (SECURITY.md says why). */
export const ACCEPTED_LOG_PATH =
  'the log file must be in a directory owned by you (or root) that neither group nor others can write ' +
  "(the guard creates its directories 0700), given as a symlink only if the link is yours (or root's), " +
  'and an existing log file must be yours';

/**
 * Refuses a log directory another user can write (group or others write bit, sticky or not: in a
 * sticky world-writable directory such as /tmp another user can still create the file first), one
 * owned by another user (who can change its mode), and a symlink another user owns (who decides
 * where it points). Checked before every open, so rotation and a reopen after another process
 * rotated are covered. Only where POSIX ids exist (not on Windows). The guard's own directory
 * (~/.mima), found readable by others, is tightened to 0700 (with a warning) before it is used.
 */
function checkDirectory(file: string, uid: number): void {
  const dir = path.dirname(file);
  const problem = untrustedDirectory(dir, uid);
  if (problem) throw new UnsafeLogPathError(`${file}: ${problem}; ${ACCEPTED_LOG_PATH}`);
  if (path.resolve(dir) === path.resolve(mimaHome())) tighten(dir, fs.statSync(dir).mode, 0o700);
}

/**
 * chmods a file or directory the user owns whose mode lets group or others read it, and says so
 * once (MIMA_GUARD_LOOSE_MODES); refuses it when the chmod fails. `fd`: chmod the open descriptor.
 */
function tighten(target: string, mode: number, wanted: number, fd?: number): void {
  if (!(mode & 0o077)) return;
  try {
    if (fd === undefined) fs.chmodSync(target, wanted);
    else fs.fchmodSync(fd, wanted);
  } catch (error) {
    throw new UnsafeLogPathError(
      `${target} has mode ${modeText(mode)} (group or others can read it) and cannot be made ${modeText(wanted)} (${(error as Error).message}); ${ACCEPTED_LOG_PATH}`,
    );
  }
  warnGuardProblem(
    'MIMA_GUARD_LOOSE_MODES',
    `${target} had mode ${modeText(mode)}, so other users could read the guard's records; the guard changed it to ${modeText(wanted)}`,
  );
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
  /** The file ends inside a line: a write cut short by a full disk or a crash. */
  private endsInsideLine = false;
  /** Rotation failed and the file grows past maxBytes: said once until a rotation succeeds. */
  private rotationStuck = false;

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
      let outcome: ReturnType<typeof rotateIfFull>;
      try {
        outcome = rotateIfFull(this.file, this.ino, incoming, this.maxBytes, this.backups);
      } catch (error) {
        // A rotation that fails must not cost the records: they go past maxBytes, said once.
        return this.pastLimit(fd, `rotating it failed (${(error as Error).message})`);
      }
      if (outcome === 'busy') return undefined;
      this.rotationStuck = false;
      if (outcome === 'keep') return fd;
      this.close();
    }
    return this.descriptor();
  }

  /**
   * The descriptor, to write past maxBytes when rotation cannot happen now (`why`). Said once
   * (MIMA_GUARD_ROTATION_STUCK, diag once per episode) until a rotation succeeds again.
   */
  descriptorPastLimit(why: string): number {
    return this.pastLimit(this.descriptor(), why);
  }

  private pastLimit(fd: number, why: string): number {
    if (!this.rotationStuck) {
      this.rotationStuck = true;
      warnGuardProblem(
        'MIMA_GUARD_ROTATION_STUCK',
        `the guard's log ${this.file} is not rotated: ${why}; records are written past maxBytes (${this.maxBytes}) so none is lost`,
      );
    }
    return fd;
  }

  /** The file now at the path, opened (or reopened) without rotating. */
  descriptor(): number {
    if (this.fd !== undefined) {
      if (this.stillAtPath()) return this.fd;
      this.close();
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Before opening: O_CREAT must not create the file where another user could read or swap it.
    const uid = process.geteuid?.();
    if (uid !== undefined) checkDirectory(this.file, uid);
    const fd = fs.openSync(this.file, OPEN_FLAGS, 0o600);
    const stat = fs.fstatSync(fd);
    try {
      if (!stat.isFile()) throw new NotRegularFileError(`${this.file} is not a regular file`);
      if (uid !== undefined && stat.uid !== uid) {
        throw new UnsafeLogPathError(
          `${this.file}: the file is owned by ${describeOwner(stat.uid)}; ${ACCEPTED_LOG_PATH}`,
        );
      }
      if (uid !== undefined) tighten(this.file, stat.mode, 0o600, fd);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    this.fd = fd;
    this.ino = stat.ino;
    this.dev = stat.dev;
    this.endsInsideLine = stat.size > 0 && lastByte(fd, stat.size) !== NEWLINE;
    return fd;
  }

  /**
   * The batch, led by a newline when the file ends inside a line (a failed write reopens the file,
   * so this covers our own cut-short writes too): the fragment stays a line of its own that
   * readers skip, never glued to a whole record. An extra newline is harmless: empty lines are skipped.
   */
  startingOnNewLine(data: Buffer): Buffer {
    if (!this.endsInsideLine) return data;
    this.endsInsideLine = false;
    return Buffer.concat([Buffer.from('\n'), data]);
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

const NEWLINE = 0x0a;

function lastByte(fd: number, size: number): number {
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, size - 1);
  return byte[0];
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
