import { readFileSync } from 'node:fs';

/** The engine's version, as package.json gives it (one place for `--version` and `autopilot_build_info`). */
export const ENGINE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
