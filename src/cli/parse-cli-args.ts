import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AutopilotError } from '../errors.ts';

/**
 * `node:util` parseArgs for a command (strict by default):  a wrong option or a missing value becomes an
 * AP_CLI_USAGE error that shows the command's usage (exit 2, no stack trace).
 */
export function parseCliArgs<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new AutopilotError('AP_CLI_USAGE', `${(error as Error).message}\n${usage}`);
  }
}
