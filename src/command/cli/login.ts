import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs, UsageError } from './args';
import { print, printError, type Command } from './command';
import { configFile } from './paths';

/** Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters. */
const WORKSPACE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const USAGE = `Usage: mima-guard login --workspace-id ID

Stores the workspace id that the guard puts on every record, in ~/.mima/config.json
(file mode 0600, directory 0700), keeping the file's other keys.

Options:
  --workspace-id ID  letters, digits, '.', '_' and '-', starting with a letter or digit,
                     at most 128 characters
  -h, --help         show this help`;

export const loginCommand: Command = {
  name: 'login',
  summary: 'store the workspace id in ~/.mima/config.json',
  usage: USAGE,
  async run(args) {
    const values = parseCommandArgs('login', args, {
      'workspace-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      print(USAGE);
      return 0;
    }
    const id = values['workspace-id'];
    if (id === undefined)
      throw new UsageError('mima-guard login: --workspace-id is required; see "mima-guard login --help"');
    if (!WORKSPACE_ID.test(id)) {
      throw new UsageError(
        `mima-guard login: invalid workspace id ${JSON.stringify(id)}: use letters, digits, '.', '_' and '-', ` +
          `starting with a letter or digit, at most 128 characters`,
      );
    }
    const file = configFile();
    writePrivateJson(file, { ...existingConfig(file), workspace_id: id });
    print(`Logged in to workspace ${id} (wrote ${file})`);
    return 0;
  },
};

/** The current config's keys, or none. A malformed file is replaced, and the user is told so. */
function existingConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  printError(`mima-guard login: ${file} was not a JSON object; replacing it`);
  return {};
}

/** Written to a temporary file and renamed, so a reader never sees half a config. */
function writePrivateJson(file: string, value: object): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}
