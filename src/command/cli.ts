#!/usr/bin/env node
import { UsageError } from './cli/args';
import { print, printError, type Command } from './cli/command';
import { daemonCommand } from './cli/daemon';
import { inventoryCommand } from './cli/inventory';
import { loginCommand } from './cli/login';
import { reportCommand } from './cli/report';
import { scanCommand } from './cli/scan';

const COMMANDS: Command[] = [daemonCommand, reportCommand, scanCommand, inventoryCommand, loginCommand];

const USAGE = `Usage: mima-guard <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join('\n')}

Run "mima-guard <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    print(USAGE);
    return 0;
  }
  if (name === undefined) {
    printError(USAGE);
    return 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    const what = name.startsWith('-') ? 'option' : 'command';
    throw new UsageError(`mima-guard: unknown ${what} ${JSON.stringify(name)}; see "mima-guard --help"`);
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      printError(error.message);
      process.exitCode = 2;
    } else {
      // A fault of the command itself: never 1, which report --fail-on-unattested keeps for findings.
      printError(`mima-guard: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
    }
  },
);
