/** Runs a CLI command in-process and captures its output. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

export async function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(argv, { stdout, stderr, env, cwd });
  return { code, out, err };
}
