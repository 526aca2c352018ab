import { isAutopilotError } from '../errors.ts';
import type { CliCommand, CliIo } from './io.ts';

interface CommandEntry {
  summary: string;
  load: () => Promise<CliCommand>;
}

/** One line per command; modules load lazily. */
const COMMANDS: Record<string, CommandEntry> = {};

export function registerCommand(name: string, entry: CommandEntry): void {
  COMMANDS[name] = entry;
}

/** The registered command names (src/cli/commands/index.ts registers them). */
export function commandNames(): string[] {
  return Object.keys(COMMANDS);
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'Usage: autopilot <command> [options]   (autopilot --version, autopilot --help)',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

/**
 * Exit codes, one meaning each (README, "Command line"): 0 done; 1 the input is invalid (rules,
 * configuration, files) or the command failed; 2 the command line itself is wrong; 70 a bug.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  await import('./commands/index.ts');
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return EXIT.ok;
  }
  if (name === '--version') return (await COMMANDS.version!.load())(rest, io);
  if (name === undefined) {
    io.stderr.write(`autopilot: a command is needed\n\n${usage()}`);
    return EXIT.usage;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`autopilot: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (error) {
    // Errors with a code are the user's to fix: say what and where, no stack trace.
    if (isAutopilotError(error)) {
      io.stderr.write(`autopilot ${name}: ${error.code}: ${error.message}\n`);
      return isAutopilotError(error, 'AP_CLI_USAGE') ? EXIT.usage : EXIT.failed;
    }
    io.stderr.write(`autopilot ${name}: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
