/** One `mima-guard <name>` command. run() resolves to the process exit status. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printError(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}
