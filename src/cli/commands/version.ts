import { ENGINE_VERSION } from '../../ops/build-info.ts';
import type { CliCommand } from '../io.ts';

export const command: CliCommand = async (_args, io) => {
  io.stdout.write(`fp-autopilot ${ENGINE_VERSION} (node ${process.versions.node})\n`);
  return 0;
};
