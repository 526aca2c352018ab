/**
 * The command table. Each command module exports `command: CliCommand`.
 * Keep one line per command, alphabetical.
 */
import { registerCommand } from '../run-cli.ts';

registerCommand('check', {
  summary: 'validate rule files: check [paths...] [--json]',
  load: async () => (await import('./check.ts')).command,
});
registerCommand('version', {
  summary: 'print the version',
  load: async () => (await import('./version.ts')).command,
});
