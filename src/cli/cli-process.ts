/**
 * The CLI bound to this process: its arguments, standard streams, environment and directory.
 * Loaded by src/cli/main.cjs once the Node version is known to run TypeScript. Each command
 * lives in its own module under src/cli/commands/ and is loaded only when used, so
 * `autopilot check` does not pay for the server's dependencies.
 */
import { runCli } from './run-cli.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
