import * as fs from 'node:fs';
import * as path from 'node:path';

/** The npm package a file belongs to, and the file's path inside it ('resources/chat/chat.d.ts'). */
export interface PackageFile {
  name: string;
  relative: string;
}

/**
 * Which package declares a file: the segment after the last `node_modules/` (what Node resolves),
 * or else the nearest package.json with a name (a package linked in or mapped by tsconfig `paths`,
 * such as the guard's own source). Cached per directory: every declaration of a scan asks.
 */
export class PackageLookup {
  readonly #byDir = new Map<string, { name: string; root: string } | null>();

  of(fileName: string): PackageFile | undefined {
    const file = fileName.replace(/\\/g, '/');
    const at = file.lastIndexOf('/node_modules/');
    if (at >= 0) {
      const rest = file.slice(at + '/node_modules/'.length).split('/');
      const scoped = rest[0].startsWith('@');
      const name = scoped ? `${rest[0]}/${rest[1]}` : rest[0];
      return { name, relative: rest.slice(scoped ? 2 : 1).join('/') };
    }
    const owner = this.#ownerOf(path.dirname(file));
    return owner
      ? { name: owner.name, relative: path.relative(owner.root, file).replace(/\\/g, '/') }
      : undefined;
  }

  #ownerOf(dir: string): { name: string; root: string } | null {
    const cached = this.#byDir.get(dir);
    if (cached !== undefined) return cached;
    let owner: { name: string; root: string } | null = null;
    const name = packageName(path.join(dir, 'package.json'));
    if (name) owner = { name, root: dir };
    else if (path.dirname(dir) !== dir) owner = this.#ownerOf(path.dirname(dir));
    this.#byDir.set(dir, owner);
    return owner;
  }
}

function packageName(file: string): string | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = (value as { name?: unknown } | null)?.name;
    return typeof name === 'string' && name ? name : undefined;
  } catch {
    return undefined;
  }
}
