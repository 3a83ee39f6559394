import type { CoverageLine } from '../../app/coverage/summary-line';
import type { DetectionRecord } from '../../app/types';
import { DayHistogram, type PerDay } from './day-histogram';
import { readLogs, type DroppedMarker } from './log-reader';

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

export interface ReportSummary extends PerDay {
  files: string[];
  /** Logs asked for of which neither the file nor a rotated backup exists. */
  missing: string[];
  since: string | null;
  unattested: number;
  groups: CallGroup[];
  /** Records lost before they reached a log, per its dropped markers. */
  dropped: number;
  /** The same, per the markers' reason ("unspecified" for markers without one), most first. */
  dropped_by_reason: Array<{ reason: string; count: number }>;
  duplicates: number;
  malformed: number;
  /** Null when the logs hold no coverage summary line (the summary is off by default). */
  coverage: Coverage | null;
}

/**
 * Reads the logs and sums them up as it goes: what is kept is the summary (groups, days in the
 * window, coverage per call site, dropped per reason) and the ids seen, never the records.
 */
export function summariseLogs(logs: string[], since: Date | null, now = Date.now()): ReportSummary {
  const after = (ts: string | null) => !since || ts === null || Date.parse(ts) >= since.getTime();
  const groups = new Map<string, CallGroup>();
  const days = new DayHistogram(now);
  const dropped = new Map<string, number>();
  const coverage = new Map<string, { call_site: string; attested: number; unattested: number }>();
  let unattested = 0;
  let coverageLines = 0;

  const record = (record: DetectionRecord) => {
    if (record.attested !== false || !after(record.ts)) return;
    unattested++;
    const time = Date.parse(record.ts);
    days.add(time);
    const location = record.code_file ? `${record.code_file}:${record.code_line ?? '?'}` : '(unknown)';
    const key = `${record.call_site}\n${location}`;
    const group = groups.get(key) ?? newGroup(record.call_site, location, record.ts);
    group.count++;
    if (record.blocked) group.blocked++;
    if (time < Date.parse(group.first_seen)) group.first_seen = record.ts;
    if (time > Date.parse(group.last_seen)) group.last_seen = record.ts;
    groups.set(key, group);
  };
  const droppedMarker = (marker: DroppedMarker) => {
    if (after(marker.ts)) dropped.set(marker.reason, (dropped.get(marker.reason) ?? 0) + marker.count);
  };
  const coverageLine = (line: CoverageLine) => {
    if (!after(line.ts)) return;
    coverageLines++;
    for (const call of line.calls) {
      const site = coverage.get(call.call_site) ?? { call_site: call.call_site, attested: 0, unattested: 0 };
      site.attested += call.attested;
      site.unattested += call.unattested;
      coverage.set(call.call_site, site);
    }
  };

  const read = readLogs(logs, { record, dropped: droppedMarker, coverage: coverageLine });
  const droppedByReason = [...dropped]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    files: read.files,
    missing: read.missing,
    since: since ? since.toISOString() : null,
    unattested,
    groups: [...groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        a.call_site.localeCompare(b.call_site) ||
        a.code_location.localeCompare(b.code_location),
    ),
    dropped: droppedByReason.reduce((sum, entry) => sum + entry.count, 0),
    dropped_by_reason: droppedByReason,
    duplicates: read.duplicates,
    malformed: read.malformed,
    ...days.result(),
    coverage: coverageLines === 0 ? null : coverageOf([...coverage.values()]),
  };
}

function coverageOf(sites: Coverage['call_sites']): Coverage {
  const call_sites = sites.sort((a, b) => a.call_site.localeCompare(b.call_site));
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
