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

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: autopilot <command> [options]', '', 'Commands:', ...lines, ''].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  await import('./commands/index.ts');
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`autopilot: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (error) {
    // Errors with a code are the user's to fix: say what and where, no stack trace.
    if (isAutopilotError(error)) {
      io.stderr.write(`autopilot ${name}: ${error.code}: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`autopilot ${name}: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
