import { execFile } from 'node:child_process';
import { satisfiesRange } from '../../src/app/version-range';

/** npm with the arguments; resolves stdout, rejects with npm's last words. */
export function npm(args: string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm ${args.join(' ')}: ${(stderr || error.message).trim().slice(-1500)}`));
      else resolve(stdout);
    });
  });
}

function release(version: string): number[] {
  return version.split('-')[0].split('.').map(Number);
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [release(a), release(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The package's `latest` tag, and the lowest published release inside `range`. */
export async function latestAndLowest(
  pkg: string,
  range: string,
): Promise<{ latest: string; lowest?: string }> {
  const latest = JSON.parse(await npm(['view', pkg, 'version', '--json'], 60_000)) as string;
  const versions = JSON.parse(await npm(['view', pkg, 'versions', '--json'], 60_000)) as string[];
  const lowest = versions.filter((v) => satisfiesRange(v, range)).sort(compareVersions)[0];
  return { latest, lowest };
}
