/**
 * The CLI bound to this process: its arguments, standard streams, environment and directory.
 * Loaded by src/cli/main.cjs once the Node version is known to run TypeScript. Each command
 * lives in its own module under src/cli/commands/ and is loaded only when used, so
 * `autopilot check` does not pay for the server's dependencies.
 */
import { runCli } from './run-cli.ts';

// A reader that stops early (`autopilot schema | head`) closes the pipe: the rest of the output is
// not wanted, which is no crash to print a stack for.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
