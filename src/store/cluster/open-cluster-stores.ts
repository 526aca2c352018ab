/**
 * Opens the cluster profile's four stores: the run queue on Redis, the event log (with its Redis
 * dedupe cache), audit and state on PostgreSQL. Checks both servers first: too old is an error,
 * Redis without AOF a warning.
 */
import { Redis } from 'ioredis';
import { AutopilotError } from '../../errors.ts';
import type { Stores } from '../ports.ts';
import { openPool, type Db } from './postgres.ts';
import { PostgresAuditStore } from './postgres-audit-store.ts';
import { PostgresEventLog } from './postgres-event-log.ts';
import { migrate, SCHEMA_NAME } from './postgres-migrations.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import { RedisRunQueue } from './redis-run-queue.ts';
import { checkPostgres, checkRedis } from './startup-checks.ts';
import { storeError } from './store-error.ts';

export const DEFAULT_DEDUPE_RETENTION_MS = 72 * 60 * 60 * 1000;

export interface ClusterStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  redisUrl: string;
  /** `postgresql://user[:password]@host:port/database`. */
  databaseUrl: string;
  /** Clock for what the ports give no time to (dedupe floor, state timestamps). @defaultValue Date.now */
  now?: () => number;
  /** Prefix of every Redis key, so one Redis can serve several deployments. @defaultValue 'autopilot:' */
  prefix?: string;
  /** PostgreSQL schema holding the tables (created if missing). @defaultValue 'autopilot' */
  schema?: string;
  /** Event ids deduplicate appends at least this long. @defaultValue 72 h */
  dedupeRetentionMs?: number;
  /** Connections in the PostgreSQL pool of this process. @defaultValue 10 */
  poolSize?: number;
  /** Where start-up warnings go. @defaultValue process.emitWarning */
  onWarning?: (message: string) => void;
}

export interface ClusterStores extends Stores {
  /** The Redis connection the stores use, for the limiter and the leader lock of this process. */
  redis: Redis;
  versions: { redis: string; postgres: string };
}

export async function openClusterStores(options: ClusterStoreOptions): Promise<ClusterStores> {
  const settings = checkOptions(options);
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'AutopilotWarning'));
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  let lastRedisError: Error | undefined;
  // Commands fail with their own errors; this keeps a dropped connection from being reported
  // as an unhandled 'error' event while ioredis reconnects, and names the cause at start-up.
  redis.on('error', (error: Error) => (lastRedisError = error));
  const db = openPool(settings.databaseUrl, settings.schema, settings.poolSize);
  db.on('error', (error: Error) => warn(`PostgreSQL: an idle connection failed: ${error.message}`));
  try {
    await connectRedis(redis, settings.redisUrl, () => lastRedisError);
    const redisReport = await checkRedis(redis);
    const postgres = await checkPostgres(db).catch((error: unknown) => {
      throw unreachable('PostgreSQL', settings.databaseUrl, error);
    });
    await migrate(db, settings.schema);
    for (const warning of redisReport.warnings) warn(warning);
    return assemble(redis, db, settings, { redis: redisReport.version, postgres: postgres.version });
  } catch (error) {
    redis.disconnect();
    await db.end();
    throw error;
  }
}

function assemble(
  redis: Redis,
  db: Db,
  settings: Settings,
  versions: ClusterStores['versions'],
): ClusterStores {
  const audit = new PostgresAuditStore(db);
  return {
    redis,
    versions,
    events: new PostgresEventLog({
      db,
      redis,
      prefix: settings.prefix,
      dedupeRetentionMs: settings.dedupeRetentionMs,
      clock: settings.now,
    }),
    runs: new RedisRunQueue(redis, settings.prefix),
    audit,
    views: audit,
    state: new PostgresStateStore(db, settings.now),
    close: async () => {
      await Promise.allSettled([redis.quit(), db.end()]);
    },
  };
}

async function connectRedis(redis: Redis, url: string, lastError: () => Error | undefined): Promise<void> {
  try {
    await redis.connect();
  } catch (error) {
    throw unreachable('Redis', url, lastError() ?? error);
  }
}

function unreachable(service: 'Redis' | 'PostgreSQL', url: string, error: unknown): AutopilotError {
  if (error instanceof AutopilotError && error.code !== 'AP_STORE') return error;
  const cause = storeError(service, error);
  return new AutopilotError(
    'AP_STORE',
    `cannot use ${service} at ${redactUrl(url)}: ${cause.message.replace(`${service}: `, '')}`,
    { service },
    { cause: error },
  );
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

type Settings = Required<Omit<ClusterStoreOptions, 'onWarning'>>;

function checkOptions(options: ClusterStoreOptions): Settings {
  const {
    redisUrl,
    databaseUrl,
    now = Date.now,
    prefix = 'autopilot:',
    schema = 'autopilot',
    dedupeRetentionMs = DEFAULT_DEDUPE_RETENTION_MS,
    poolSize = 10,
  } = options ?? ({} as ClusterStoreOptions);
  const problems: string[] = [];
  if (!hasProtocol(redisUrl, ['redis:', 'rediss:']))
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  if (!hasProtocol(databaseUrl, ['postgres:', 'postgresql:'])) {
    problems.push('DATABASE_URL must be a postgresql:// URL');
  }
  if (typeof prefix !== 'string' || /[{}\s]/.test(prefix))
    problems.push('prefix must not contain braces or spaces');
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    problems.push('schema must be a lower-case SQL identifier (letters, digits, underscore)');
  }
  if (!Number.isSafeInteger(dedupeRetentionMs) || dedupeRetentionMs < DEFAULT_DEDUPE_RETENTION_MS) {
    problems.push('dedupeRetentionMs must be an integer of at least 72 h (259200000)');
  }
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) problems.push('poolSize must be a positive integer');
  if (problems.length > 0) {
    throw new AutopilotError('AP_CONFIG_INVALID', `cluster store options: ${problems.join('; ')}`, {
      problems,
    });
  }
  return { redisUrl, databaseUrl, now, prefix, schema, dedupeRetentionMs, poolSize };
}

function hasProtocol(url: unknown, protocols: string[]): url is string {
  if (typeof url !== 'string') return false;
  try {
    return protocols.includes(new URL(url).protocol);
  } catch {
    return false;
  }
}
