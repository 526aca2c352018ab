/** What is particular to the SQLite adapters: settings, migrations, refusals, driver errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, userVersion } from '../../src/store/sqlite/migrations.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { buildEvent, rejectionOf } from './conformance/harness.ts';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp-autopilot-sqlite-'));
  path = join(dir, 'autopilot.db');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('openSqliteStores', () => {
  it('runs in WAL mode with synchronous=FULL by default and NORMAL on request', async () => {
    const stores = await openSqliteStores({ path });
    expect(stores.info).toEqual({
      path,
      journalMode: 'wal',
      synchronous: 'FULL',
      schemaVersion: MIGRATIONS.length,
    });
    await stores.close();
    const relaxed = await openSqliteStores({ path, synchronous: 'NORMAL' });
    expect(relaxed.info.synchronous).toBe('NORMAL');
    await relaxed.close();
  });

  it('keeps data across close and reopen without migrating again', async () => {
    const first = await openSqliteStores({ path });
    await first.events.append(buildEvent({ id: 'e1' }), 1);
    await first.close();
    const second = await openSqliteStores({ path });
    expect(await second.events.append(buildEvent({ id: 'e1' }), 2)).toEqual({ inserted: false });
    expect(second.info.schemaVersion).toBe(MIGRATIONS.length);
    await second.close();
  });

  it('refuses a database written by a newer engine, saying which versions', async () => {
    const raw = new DatabaseSync(path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    const error = await rejectionOf(openSqliteStores({ path }));
    expect(error.code).toBe('AP_STORE_SCHEMA_NEWER');
    expect(error.message).toMatch(new RegExp(`version 99.*up to ${MIGRATIONS.length}`));
  });

  it('lists every bad option at once', async () => {
    const error = await rejectionOf(
      openSqliteStores({ path: '', synchronous: 'OFF' as never, busyTimeoutMs: -1, dedupeRetentionMs: 1000 }),
    );
    expect(error.code).toBe('AP_CONFIG_INVALID');
    for (const word of ['path', 'synchronous', 'busyTimeoutMs', 'dedupeRetentionMs'])
      expect(error.message).toMatch(word);
  });

  it('reports a file that cannot be opened or is not a database as a storage failure', async () => {
    const missingDir = await rejectionOf(openSqliteStores({ path: join(dir, 'no', 'such', 'dir.db') }));
    expect(missingDir.code).toBe('AP_STORE');
    expect(missingDir.message).toMatch(/SQLite/);
    const garbage = join(dir, 'garbage.db');
    await writeFile(garbage, 'this is not a database, just text that is long enough to be read'.repeat(100));
    expect((await rejectionOf(openSqliteStores({ path: garbage }))).code).toBe('AP_STORE');
  });

  it('fails a write with AP_STORE when another process holds the lock past the busy timeout', async () => {
    const stores = await openSqliteStores({ path, busyTimeoutMs: 20 });
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await rejectionOf(stores.events.append(buildEvent({ id: 'e1' }), 1));
      expect(error.code).toBe('AP_STORE');
      expect(error.message).toMatch(/locked|busy/i);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await stores.events.append(buildEvent({ id: 'e1' }), 1)).toEqual({ inserted: true });
    await stores.close();
  });

  it('refuses calls after close', async () => {
    const stores = await openSqliteStores({ path: ':memory:' });
    await stores.close();
    await stores.close();
    const error = await rejectionOf(stores.runs.stats(0));
    expect(error.code).toBe('AP_STORE');
    expect(error.message).toMatch(/closed/);
  });
});

describe('migrate', () => {
  const steps = [
    { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER);' },
    { version: 2, name: 'two', sql: 'CREATE TABLE two (y INTEGER);' },
  ];

  it('applies only the missing steps, in order', () => {
    const db = new DatabaseSync(':memory:');
    expect(migrate(db, steps.slice(0, 1))).toBe(1);
    db.exec('INSERT INTO one VALUES (1)');
    expect(migrate(db, steps)).toBe(2);
    expect(userVersion(db)).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM one').get()).toEqual({ n: 1 });
    db.close();
  });

  it('rolls back a step that fails, leaving the version and schema as they were', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db, steps.slice(0, 1));
    const broken = [
      ...steps.slice(0, 1),
      { version: 2, name: 'broken', sql: 'CREATE TABLE two (y); CREATE TABLE one (z);' },
    ];
    expect(() => migrate(db, broken)).toThrow(/already exists/);
    expect(userVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'two'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a migration list with gaps', () => {
    const db = new DatabaseSync(':memory:');
    expect(() => migrate(db, [steps[1]!])).toThrow(/expected 1/);
    db.close();
  });
});
