/**
 * The record timestamps the daemon accepts: an ISO 8601 date-time of a real calendar day (what
 * toISOString writes, or Python's isoformat with microseconds and an offset), from 2000-01-01 to a
 * day after the daemon's clock. Clients share that clock (the socket is local), so a later date is
 * a bug or a forged line: one record dated 9999-12-31 made `mima-guard report` 2.9 million days
 * long. A refused batch is not lost: the guard writes it to its JSONL file instead.
 * validate.ts and the fast path (canonical-batch.ts) both decide through instantOf and inWindow.
 */

export const EARLIEST_MS = Date.UTC(2000, 0, 1);
export const AHEAD_MS = 24 * 60 * 60 * 1000;

export const ACCEPTED_TIMESTAMPS =
  'an ISO 8601 date-time YYYY-MM-DDTHH:MM:SS[.fraction] ending in Z or ±HH:MM, ' +
  "from 2000-01-01 to a day after the daemon's clock";

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Milliseconds since the epoch of a UTC calendar time, or NaN when there is no such time. */
export function instantOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  const valid =
    year >= 1000 &&
    days !== undefined &&
    day >= 1 &&
    day <= days &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  return valid ? Date.UTC(year, month - 1, day, hour, minute, second, millisecond) : NaN;
}

export function inWindow(time: number, now: number): boolean {
  return time >= EARLIEST_MS && time <= now + AHEAD_MS;
}

/** The instant a timestamp names, or NaN when it is not one of the accepted form. */
export function parseTimestamp(value: string): number {
  const match = ISO.exec(value);
  if (!match) return NaN;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const millisecond = match[7] ? Number(match[7].padEnd(3, '0').slice(0, 3)) : 0;
  const time = instantOf(year, month, day, hour, minute, second, millisecond);
  if (match[8] === undefined) return time;
  const [offsetHours, offsetMinutes] = [Number(match[9]), Number(match[10])];
  if (offsetHours > 23 || offsetMinutes > 59) return NaN;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return match[8] === '+' ? time - offset : time + offset;
}

/** Why a record's ts is refused, naming the value (cut short) and what is accepted; undefined if fine. */
export function timestampProblem(value: unknown, now: number): string | undefined {
  if (typeof value === 'string' && inWindow(parseTimestamp(value), now)) return undefined;
  const shown =
    typeof value !== 'string'
      ? `(${value === null ? 'null' : typeof value})`
      : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `invalid ts ${shown}: expected ${ACCEPTED_TIMESTAMPS}`;
}
