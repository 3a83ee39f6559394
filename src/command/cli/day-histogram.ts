const DAY_MS = 24 * 60 * 60 * 1000;

/** The per-day series covers at most this many days: a year, leap day included. */
export const PER_DAY_WINDOW_DAYS = 366;

export interface PerDay {
  /** Calls per UTC day, the first day with one to the last, empty days included. */
  per_day: Array<{ day: string; count: number }>;
  /** Calls left out of per_day: dated before its first day or after tomorrow (the report's clock). */
  per_day_excluded: { before: number; after: number };
}

/**
 * Unattested calls per UTC day, bounded whatever the log's dates: a record dated 9999-12-31 made
 * the dense series 2.9 million days long. Days after tomorrow by the report's clock (a clock far
 * ahead, a forged line) are counted as `after`; the series ends at the latest other day and spans
 * at most PER_DAY_WINDOW_DAYS, earlier calls counted as `before`. Every call still counts in the
 * totals and groups; only the chart leaves them out. At most about twice the window's days are
 * held while reading, however many distinct dates the log has.
 */
export class DayHistogram {
  private readonly counts = new Map<number, number>();
  private readonly lastDay: number;
  private latest = -Infinity;
  private before = 0;
  private after = 0;

  constructor(now: number) {
    this.lastDay = Math.floor(now / DAY_MS) + 1;
  }

  add(time: number): void {
    const day = Math.floor(time / DAY_MS);
    if (day > this.lastDay) {
      this.after++;
    } else if (day <= this.latest - PER_DAY_WINDOW_DAYS) {
      this.before++;
    } else {
      this.counts.set(day, (this.counts.get(day) ?? 0) + 1);
      if (day > this.latest) {
        this.latest = day;
        if (this.counts.size > 2 * PER_DAY_WINDOW_DAYS) this.dropOutOfWindow();
      }
    }
  }

  result(): PerDay {
    this.dropOutOfWindow();
    let first = Infinity;
    for (const day of this.counts.keys()) if (day < first) first = day;
    const per_day: PerDay['per_day'] = [];
    for (let day = first; day <= this.latest; day++) {
      per_day.push({ day: dayName(day), count: this.counts.get(day) ?? 0 });
    }
    return { per_day, per_day_excluded: { before: this.before, after: this.after } };
  }

  private dropOutOfWindow(): void {
    for (const [day, count] of this.counts) {
      if (day <= this.latest - PER_DAY_WINDOW_DAYS) {
        this.before += count;
        this.counts.delete(day);
      }
    }
  }
}

/** YYYY-MM-DD (a year past 9999 keeps its sign and six digits, as toISOString writes it). */
export function dayName(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, -14);
}
