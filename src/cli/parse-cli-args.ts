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

/** `--live` (read the tenant) and `--offline` (read the saved copy) of check and schema exclude each other. */
export function refuseLiveWithOffline(values: { live?: boolean; offline?: boolean }, usage: string): void {
  if (values.live && values.offline)
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `--live reads the tenant, --offline the saved copy: pick one\n${usage}`,
    );
}
