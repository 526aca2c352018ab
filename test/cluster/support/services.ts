/**
 * Redis and PostgreSQL for the cluster suites. `npm run test:cluster` starts them once and passes
 * REDIS_URL and DATABASE_URL; under a plain `npm test` each suite file starts its own pair through
 * scripts/cluster-services.sh when the binaries are on the machine, and is skipped, saying so,
 * when they are not. Every test gets its own Redis key prefix and PostgreSQL schema, so suites
 * sharing one pair of servers never see each other's data.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../scripts/cluster-services.sh', import.meta.url));

export interface ClusterServices {
  redisUrl: string;
  databaseUrl: string;
}

function externalServices(): ClusterServices | undefined {
  const { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl } = process.env;
  return redisUrl && databaseUrl ? { redisUrl, databaseUrl } : undefined;
}

function binariesPresent(): boolean {
  try {
    execFileSync('bash', [SCRIPT, 'check'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const clusterAvailable = externalServices() !== undefined || binariesPresent();

/**
 * `describe` for suites that need the servers: the body receives a getter valid inside tests
 * and hooks. Skipped, with a plain console line, where the servers cannot be had (or when the
 * suite gives a reason of its own).
 */
export function describeCluster(
  name: string,
  body: (services: () => ClusterServices) => void,
  options: { skipReason?: string } = {},
): void {
  const skipReason = options.skipReason ?? (clusterAvailable ? undefined : 'redis-server/postgres not found');
  if (skipReason) {
    console.log(`cluster suites skipped: ${skipReason} (${name})`);
    describe.skip(name, () => body(() => ({ redisUrl: '', databaseUrl: '' })));
    return;
  }
  describe(name, () => {
    let services: ClusterServices | undefined = externalServices();
    let startedDir: string | undefined;
    beforeAll(async () => {
      if (services) return;
      const { stdout } = await promisify(execFile)('bash', [SCRIPT, 'start']);
      const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
      startedDir = value('SERVICES_DIR');
      services = { redisUrl: value('REDIS_URL'), databaseUrl: value('DATABASE_URL') };
    }, 120_000);
    afterAll(async () => {
      if (startedDir) await promisify(execFile)('bash', [SCRIPT, 'stop', startedDir]);
    }, 60_000);
    body(() => {
      if (!services) throw new Error('cluster services are not started yet');
      return services;
    });
  });
}

/** A fresh namespace: Redis key prefix and PostgreSQL schema name. */
export function uniqueNamespace(): { prefix: string; schema: string } {
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  return { prefix: `t${id}:`, schema: `t_${id}` };
}
