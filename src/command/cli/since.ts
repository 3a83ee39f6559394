import { UsageError } from './args';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * --since: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 date or date-time
 * (2026-11-01, 2026-11-01T09:00:00Z; a date alone is midnight UTC, as Date.parse reads it).
 */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = /^(\d+)([mhdw])$/.exec(value);
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]]);
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `mima-guard report: --since ${JSON.stringify(value)} is neither a duration (30m, 24h, 7d, 2w) ` +
        `nor an ISO date or date-time (2026-11-01, 2026-11-01T09:00:00Z)`,
    );
  }
  return new Date(time);
}
