import { readFileSync } from 'node:fs';
import type { CliCommand } from '../io.ts';

export const command: CliCommand = async (_args, io) => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  io.stdout.write(`fp-autopilot ${pkg.version} (node ${process.versions.node})\n`);
  return 0;
};
