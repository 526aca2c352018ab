/**
 * The command table. Each command module exports `command: CliCommand`.
 * Keep one line per command, alphabetical.
 */
import { registerCommand } from '../run-cli.ts';

registerCommand('version', {
  summary: 'print the version',
  load: async () => (await import('./version.ts')).command,
});
