import { createServer } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { openClusterStores } from '../../src/store/cluster/index.ts';
import { MIGRATIONS } from '../../src/store/cluster/postgres-migrations.ts';
import { requirePostgresVersion, requireRedisVersion } from '../../src/store/cluster/startup-checks.ts';
import { rejectionOf } from '../store/conformance/harness.ts';
import { describeCluster, uniqueNamespace } from './support/services.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('server version checks', () => {
  it('accepts Redis 6.2 and newer, refuses older with what to upgrade to', () => {
    for (const ok of ['6.2.0', '6.2.14', '7.0.15', '8.0.1'])
      expect(() => requireRedisVersion(ok)).not.toThrow();
    for (const old of ['6.0.16', '5.0.14', '2.8.0']) {
      expect(() => requireRedisVersion(old)).toThrow(
        expect.objectContaining({ code: 'AP_STORE_UNSUPPORTED' }),
      );
    }
    expect(() => requireRedisVersion('6.0.16')).toThrow(
      /Redis 6\.0\.16 is too old: .* needs Redis 6\.2 or newer/,
    );
    expect(() => requireRedisVersion('unknown')).toThrow(/unreadable version "unknown"/);
  });

  it('accepts PostgreSQL 14 and newer', () => {
    expect(() => requirePostgresVersion(140000, '14.0')).not.toThrow();
    expect(() => requirePostgresVersion(170002, '17.2')).not.toThrow();
    expect(() => requirePostgresVersion(130012, '13.12')).toThrow(
      /PostgreSQL 13\.12 is too old: .* 14 or newer/,
    );
  });
});

describe('cluster store options', () => {
  it('lists every problem at once', async () => {
    const error = await rejectionOf(
      openClusterStores({
        redisUrl: 'http://localhost',
        databaseUrl: 'mysql://x',
        schema: 'Bad-Name',
        dedupeRetentionMs: 1000,
      }),
    );
    expect(error.code).toBe('AP_CONFIG_INVALID');
    for (const part of ['REDIS_URL', 'DATABASE_URL', 'schema', 'dedupeRetentionMs']) {
      expect(error.message).toContain(part);
    }
  });
});

describeCluster('cluster start-up', (services) => {
  it('says which server it cannot reach, without the password', async () => {
    const port = await closedPort();
    const redisDown = await rejectionOf(
      openClusterStores({
        redisUrl: `redis://:s3cret@127.0.0.1:${port}`,
        databaseUrl: services().databaseUrl,
      }),
    );
    expect(redisDown.code).toBe('AP_STORE');
    expect(redisDown.message).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(redisDown.message).not.toContain('s3cret');

    const pgDown = await rejectionOf(
      openClusterStores({
        redisUrl: services().redisUrl,
        databaseUrl: `postgresql://autopilot:s3cret@127.0.0.1:${port}/autopilot`,
        ...uniqueNamespace(),
      }),
    );
    expect(pgDown.code).toBe('AP_STORE');
    expect(pgDown.message).toMatch(/cannot use PostgreSQL at postgresql:\/\/autopilot:\*\*\*@127\.0\.0\.1/);
    expect(pgDown.message).not.toContain('s3cret');
  });

  it('warns when Redis persistence (AOF) is off', async () => {
    const admin = new Redis(services().redisUrl);
    const warnings: string[] = [];
    try {
      await admin.config('SET', 'appendonly', 'no');
      const stores = await openClusterStores({
        ...services(),
        ...uniqueNamespace(),
        onWarning: (message) => warnings.push(message),
      });
      await stores.close();
    } finally {
      await admin.config('SET', 'appendonly', 'yes');
      await admin.quit();
    }
    expect(warnings).toEqual([expect.stringMatching(/AOF\) is off.*appendonly yes/)]);
  });

  it('migrates a fresh schema once when several processes start together, and reports versions', async () => {
    const namespace = uniqueNamespace();
    const opened = await Promise.all([1, 2, 3].map(() => openClusterStores({ ...services(), ...namespace })));
    expect(opened[0]!.versions.redis).toMatch(/^\d+\.\d+/);
    expect(opened[0]!.versions.postgres).toMatch(/^\d+/);
    await Promise.all(opened.map((stores) => stores.close()));
    const admin = new pg.Pool({ connectionString: services().databaseUrl, max: 1 });
    try {
      const { rows } = await admin.query(
        `SELECT version FROM ${namespace.schema}.schema_migrations ORDER BY version`,
      );
      expect(rows).toEqual(MIGRATIONS.map(({ version }) => ({ version })));
      // a schema written by a newer engine is refused, not guessed at
      await admin.query(
        `INSERT INTO ${namespace.schema}.schema_migrations (version, name) VALUES (99, 'future')`,
      );
      const newer = await rejectionOf(openClusterStores({ ...services(), ...namespace }));
      expect(newer.code).toBe('AP_STORE_SCHEMA_NEWER');
      expect(newer.message).toMatch(/version 99/);
    } finally {
      await admin.query(`DROP SCHEMA ${namespace.schema} CASCADE`);
      await admin.end();
    }
  });
});
