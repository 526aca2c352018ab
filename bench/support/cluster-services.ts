/**
 * Redis and PostgreSQL for the cluster benchmarks: REDIS_URL and DATABASE_URL when set, otherwise
 * started from the machine's binaries by scripts/cluster-services.sh; `undefined` (the benchmark
 * says it skipped) when there are none.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('../../scripts/cluster-services.sh', import.meta.url));

export interface BenchServices {
  redisUrl: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function benchServices(): Promise<BenchServices | undefined> {
  const { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl } = process.env;
  if (redisUrl && databaseUrl) return { redisUrl, databaseUrl, stop: async () => {} };
  const run = promisify(execFile);
  try {
    await run('bash', [SCRIPT, 'check']);
  } catch {
    return undefined;
  }
  const { stdout } = await run('bash', [SCRIPT, 'start']);
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
  const dir = value('SERVICES_DIR');
  return {
    redisUrl: value('REDIS_URL'),
    databaseUrl: value('DATABASE_URL'),
    stop: async () => void (await run('bash', [SCRIPT, 'stop', dir])),
  };
}

export const SKIPPED = 'redis-server/postgres not found (bash scripts/cluster-services.sh install)';
