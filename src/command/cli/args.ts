import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how the command was called: exit status 2, as most command-line tools use. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs in strict mode, no positionals; its errors become a UsageError naming the command. */
export function parseCommandArgs<O extends OptionsConfig>(
  command: string,
  args: string[],
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(
      `mima-guard ${command}: ${firstSentence(error)}; see "mima-guard ${command} --help"`,
    );
  }
}

/** parseArgs messages go on to explain the "--" convention, which is noise here. */
function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const end = message.indexOf('. ');
  return (end < 0 ? message : message.slice(0, end)).replace(/\.$/, '');
}
