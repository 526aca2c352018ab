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

  it('keeps the runs of a version 1 database through the parking migration', async () => {
    const raw = new DatabaseSync(path);
    migrate(raw, MIGRATIONS.slice(0, 1));
    raw.exec(`INSERT INTO runs (id, event_id, rule_id, lane, priority, position, state, is_head, run_at,
      run_json, results_json, updated_at)
      VALUES ('r1', 'e1', 'rule-a', 'p:1', 1, 1, 'queued', 1, 5, '{"id":"r1","actions":[]}', '[]', 5)`);
    raw.close();
    const stores = await openSqliteStores({ path });
    expect(stores.info.schemaVersion).toBe(MIGRATIONS.length);
    expect(await stores.runs.get('r1')).toMatchObject({ state: 'queued', runAt: 5, nextAction: 0 });
    const [claimed] = await stores.runs.claim('w', 1, 1000, 10);
    await stores.runs.park('r1', 'w', { until: 100, progress: { next: 1 } }, 11);
    expect(await stores.runs.get('r1')).toMatchObject({ state: 'parked', runAt: 100 });
    expect(claimed?.run.id).toBe('r1');
    await stores.close();
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

  it('summarizes an audit written before the dashboard summaries existed', () => {
    const db = new DatabaseSync(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    db.exec(`INSERT INTO event_ids VALUES ('e1', 1), ('e2', 2);
      INSERT INTO events (id, body, received_at) VALUES ('e1', '{"id":"e1","type":"work_item.created","source":"feishu"}', 1);
      INSERT INTO audit (at, kind, event_id, rule_id, work_item) VALUES
        (10, 'rule.matched', 'e1', 'a', 'demo:1'), (10, 'rule.not_matched', 'e1', 'b', 'demo:1'),
        (11, 'run.dead_lettered', 'e1', 'a', 'demo:1'), (3600010, 'rule.not_matched', 'e2', 'a', NULL);`);
    migrate(db);
    expect(db.prepare('SELECT * FROM audit_events ORDER BY event_id').all()).toEqual([
      expect.objectContaining({
        event_id: 'e1',
        at: 10,
        type: 'work_item.created',
        source: 'feishu',
        work_item: 'demo:1',
        candidates: 2,
        matched_rules: '["a"]',
        matched: 1,
        dead: 1,
      }),
      expect.objectContaining({
        event_id: 'e2',
        at: 3600010,
        type: null,
        candidates: 1,
        matched_rules: '[]',
        matched: 0,
      }),
    ]);
    expect(
      db.prepare("SELECT bucket, n FROM audit_counts WHERE kind = 'rule.not_matched' AND rule_id = ''").all(),
    ).toEqual([
      { bucket: 0, n: 1 },
      { bucket: 3600000, n: 1 },
    ]);
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
