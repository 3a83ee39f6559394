import * as fs from 'node:fs';
import * as path from 'node:path';

/** The directory of `name` as Node would find it from `dir`: node_modules of dir or an ancestor. */
export function packageDir(name: string, dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(at) === at) return undefined;
  }
}
