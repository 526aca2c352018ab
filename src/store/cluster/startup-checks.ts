/**
 * What the cluster profile checks before it starts: server versions (with an error that says what
 * to upgrade) and Redis persistence (a warning: without AOF a Redis restart forgets queued runs).
 */
import type { Redis } from 'ioredis';
import { AutopilotError } from '../../errors.ts';
import { query, type Db } from './postgres.ts';
import { guarded } from './store-error.ts';

export const MIN_REDIS_VERSION = [6, 2] as const;
export const MIN_POSTGRES_MAJOR = 14;

/** `major.minor.patch` → numbers; anything else is a clear error. */
export function parseVersion(text: string, what: string): number[] {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match)
    throw new AutopilotError(
      'AP_STORE_UNSUPPORTED',
      `${what} reported an unreadable version ${JSON.stringify(text)}`,
    );
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function requireRedisVersion(version: string): void {
  const [major = 0, minor = 0] = parseVersion(version, 'Redis');
  const [needMajor, needMinor] = MIN_REDIS_VERSION;
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    throw new AutopilotError(
      'AP_STORE_UNSUPPORTED',
      `Redis ${version} is too old: the cluster profile needs Redis ${needMajor}.${needMinor} or newer`,
      { version, required: `${needMajor}.${needMinor}` },
    );
  }
}

export function requirePostgresVersion(versionNum: number, version: string): void {
  if (!(Math.floor(versionNum / 10_000) >= MIN_POSTGRES_MAJOR)) {
    throw new AutopilotError(
      'AP_STORE_UNSUPPORTED',
      `PostgreSQL ${version} is too old: the cluster profile needs PostgreSQL ${MIN_POSTGRES_MAJOR} or newer`,
      { version, required: String(MIN_POSTGRES_MAJOR) },
    );
  }
}

/** Reads `INFO` fields (`name:value` lines). */
export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export interface RedisReport {
  version: string;
  warnings: string[];
}

export async function checkRedis(redis: Redis): Promise<RedisReport> {
  const server = await guarded('Redis', () => redis.info('server'));
  const version = infoField(server, 'redis_version') ?? '';
  requireRedisVersion(version);
  const persistence = await guarded('Redis', () => redis.info('persistence'));
  const warnings: string[] = [];
  if (infoField(persistence, 'aof_enabled') !== '1') {
    warnings.push(
      'Redis persistence (AOF) is off: a Redis restart loses queued runs and limiter state; ' +
        'set `appendonly yes` (and `appendfsync everysec` or `always`)',
    );
  }
  return { version, warnings };
}

export async function checkPostgres(db: Db): Promise<{ version: string }> {
  const { rows } = await query<{ server_version: string; server_version_num: string }>(
    db,
    "SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num",
  );
  const version = rows[0]?.server_version ?? '';
  requirePostgresVersion(Number(rows[0]?.server_version_num ?? 0), version);
  return { version };
}
