import type { LogContents } from './log-reader';

/** Unattested calls made at one call site from one code location. */
export interface CallGroup {
  call_site: string;
  code_location: string;
  count: number;
  blocked: number;
  first_seen: string;
  last_seen: string;
}

/** Attested and unattested patched calls, from the coverage summary lines. */
export interface Coverage {
  attested: number;
  unattested: number;
  call_sites: Array<{ call_site: string; attested: number; unattested: number }>;
}

export interface ReportSummary {
  files: string[];
  since: string | null;
  unattested: number;
  groups: CallGroup[];
  /** Records lost before they reached a log, per its dropped markers. */
  dropped: number;
  duplicates: number;
  malformed: number;
  /** Unattested calls per UTC day, from the first day with one to the last, empty days included. */
  per_day: Array<{ day: string; count: number }>;
  /** Null when the logs hold no coverage summary line (the summary is off by default). */
  coverage: Coverage | null;
}

export function summarise(log: LogContents, since: Date | null): ReportSummary {
  const after = (ts: string | null) => !since || ts === null || Date.parse(ts) >= since.getTime();
  const groups = new Map<string, CallGroup>();
  let unattested = 0;
  for (const record of log.records) {
    if (record.attested !== false || !after(record.ts)) continue;
    unattested++;
    const location = record.code_file ? `${record.code_file}:${record.code_line ?? '?'}` : '(unknown)';
    const key = `${record.call_site}\n${location}`;
    const group = groups.get(key) ?? newGroup(record.call_site, location, record.ts);
    group.count++;
    if (record.blocked) group.blocked++;
    if (Date.parse(record.ts) < Date.parse(group.first_seen)) group.first_seen = record.ts;
    if (Date.parse(record.ts) > Date.parse(group.last_seen)) group.last_seen = record.ts;
    groups.set(key, group);
  }
  return {
    files: log.files,
    since: since ? since.toISOString() : null,
    unattested,
    groups: [...groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        a.call_site.localeCompare(b.call_site) ||
        a.code_location.localeCompare(b.code_location),
    ),
    dropped: log.dropped.filter((marker) => after(marker.ts)).reduce((sum, marker) => sum + marker.count, 0),
    duplicates: log.duplicates,
    malformed: log.malformed,
    per_day: perDay(log, after),
    coverage: coverage(log, after),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function perDay(
  log: LogContents,
  after: (ts: string | null) => boolean,
): Array<{ day: string; count: number }> {
  const counts = new Map<string, number>();
  for (const record of log.records) {
    if (record.attested !== false || !after(record.ts)) continue;
    const day = new Date(record.ts).toISOString().slice(0, 10);
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  const days = [...counts.keys()].sort();
  if (days.length === 0) return [];
  const series: Array<{ day: string; count: number }> = [];
  for (let t = Date.parse(days[0]); t <= Date.parse(days[days.length - 1]); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    series.push({ day, count: counts.get(day) ?? 0 });
  }
  return series;
}

function coverage(log: LogContents, after: (ts: string | null) => boolean): Coverage | null {
  const lines = log.coverage.filter((line) => after(line.ts));
  if (lines.length === 0) return null;
  const bySite = new Map<string, { call_site: string; attested: number; unattested: number }>();
  for (const call of lines.flatMap((line) => line.calls)) {
    const site = bySite.get(call.call_site) ?? { call_site: call.call_site, attested: 0, unattested: 0 };
    site.attested += call.attested;
    site.unattested += call.unattested;
    bySite.set(call.call_site, site);
  }
  const call_sites = [...bySite.values()].sort((a, b) => a.call_site.localeCompare(b.call_site));
  return {
    attested: call_sites.reduce((sum, site) => sum + site.attested, 0),
    unattested: call_sites.reduce((sum, site) => sum + site.unattested, 0),
    call_sites,
  };
}

function newGroup(callSite: string, location: string, ts: string): CallGroup {
  return {
    call_site: callSite,
    code_location: location,
    count: 0,
    blocked: 0,
    first_seen: ts,
    last_seen: ts,
  };
}
