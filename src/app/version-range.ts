/**
 * Version ranges as the SDK definitions write them, with semver's meaning: comparator sets joined
 * by `||`, each a space-separated list of `>=`, `>`, `<=`, `<` or `^` on a full or partial
 * version (`>=4.0.0 <8`, `^22.12.0 || >=23.2.0`), or `*`. The semver package does this and much
 * more, but costs every process about 10 ms of start-up (21 modules, and compiling its regular
 * expressions at first use); the guard only ever needs this subset.
 */

interface Version {
  release: [number, number, number];
  prerelease: string[];
}

type Comparator = (version: Version) => boolean;

const NUMBER = '(0|[1-9]\\d*)';
const VERSION = new RegExp(
  `^v?${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z.-]+)?$`,
);
const COMPARATOR = /^(>=|>|<=|<|\^)?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

function parseVersion(text: string): Version | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  const release = [Number(match[1]), Number(match[2]), Number(match[3])] as [number, number, number];
  if (!release.every(Number.isSafeInteger)) return undefined;
  const prerelease = match[4] ? match[4].split('.') : [];
  // A numeric identifier has no leading zero.
  if (prerelease.some((id) => /^0\d+$/.test(id))) return undefined;
  return { release, prerelease };
}

/** A full version string semver would accept (a leading `v` and build metadata allowed). */
export function isValidVersion(text: string): boolean {
  return parseVersion(text) !== undefined;
}

function compareIdentifiers(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) return Number(a) - Number(b);
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Release numbers first; a prerelease comes before its release (1.0.0-beta < 1.0.0). */
function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.release[i] !== b.release[i]) return a.release[i] - b.release[i];
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return b.prerelease.length - a.prerelease.length;
  }
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}

/** The release numbers given (1 to 3 of them) against the same leading numbers of a version. */
function comparePrefix(version: Version, numbers: number[]): number {
  for (let i = 0; i < numbers.length; i++) {
    if (version.release[i] !== numbers[i]) return version.release[i] - numbers[i];
  }
  return 0;
}

/** The partial version after the given one: 8 → 9.0.0, 1.2 → 1.3.0 (or 9.0.0-0, 1.3.0-0). */
function bumped(numbers: number[], prerelease: string[]): Version {
  const release: [number, number, number] = [numbers[0], numbers[1] ?? 0, 0];
  release[numbers.length - 1]++;
  return { release, prerelease };
}

function parseComparator(text: string, range: string, includePrerelease: boolean): Comparator {
  const match = COMPARATOR.exec(text);
  if (!match) throw new Error(`unsupported version range ${JSON.stringify(range)}: cannot read ${text}`);
  const numbers = match
    .slice(2)
    .filter((part) => part !== undefined)
    .map(Number);
  // A partial floor (`>=4`) takes the floor's own prereleases in when they are included (4.0.0-0).
  const prerelease = numbers.length < 3 && includePrerelease ? ['0'] : [];
  const floor: Version = { release: [numbers[0], numbers[1] ?? 0, numbers[2] ?? 0], prerelease };
  switch (match[1]) {
    case '>=':
      return (v) => compare(v, floor) >= 0;
    case '<':
      // `<8` excludes 8.0.0's prereleases too, as semver reads it (`<8.0.0-0`).
      return numbers.length === 3 ? (v) => compare(v, floor) < 0 : (v) => comparePrefix(v, numbers) < 0;
    case '>': {
      if (numbers.length === 3) return (v) => compare(v, floor) > 0;
      // `>8` is `>=9.0.0`.
      const next = bumped(numbers, prerelease);
      return (v) => compare(v, next) >= 0;
    }
    case '<=':
      // `<=8` is `<9.0.0-0`.
      return numbers.length === 3 ? (v) => compare(v, floor) <= 0 : (v) => comparePrefix(v, numbers) <= 0;
    case '^': {
      // Up to the next change of the first non-zero number given (semver's caret).
      const significant = numbers.findIndex((n) => n !== 0);
      const keep = significant === -1 ? numbers.length : significant + 1;
      const prefix = numbers.slice(0, keep);
      return (v) => compare(v, floor) >= 0 && comparePrefix(v, prefix) === 0;
    }
    default:
      // A bare version: that version, or any with the given leading numbers.
      return numbers.length === 3
        ? (v) => compare(v, floor) === 0
        : (v) => compare(v, floor) >= 0 && comparePrefix(v, numbers) === 0;
  }
}

/** A range compiled once (per includePrerelease): its comparator sets, or none for `*`. */
const compiled = new Map<string, Comparator[][] | undefined>();

function compileRange(range: string, includePrerelease: boolean): Comparator[][] | undefined {
  const key = `${includePrerelease}${range}`;
  if (compiled.has(key)) return compiled.get(key);
  const sets = range
    .split('||')
    .map((set) => set.trim().split(/\s+/))
    .map((parts) => (parts.length === 1 && (parts[0] === '*' || parts[0] === '') ? undefined : parts));
  const result = sets.some((set) => set === undefined)
    ? undefined
    : sets.map((parts) => parts!.map((part) => parseComparator(part, range, includePrerelease)));
  compiled.set(key, result);
  return result;
}

/**
 * semver's satisfies() for these ranges: a prerelease version satisfies none of them unless
 * includePrerelease is set (the ranges name no prerelease). An invalid version satisfies nothing;
 * a range outside the subset throws, naming it.
 */
export function satisfiesRange(
  version: string,
  range: string,
  options?: { includePrerelease?: boolean },
): boolean {
  const includePrerelease = options?.includePrerelease === true;
  const sets = compileRange(range, includePrerelease);
  const parsed = parseVersion(version);
  if (!parsed) return false;
  if (parsed.prerelease.length > 0 && !includePrerelease) return false;
  if (sets === undefined) return true;
  return sets.some((set) => set.every((comparator) => comparator(parsed)));
}
