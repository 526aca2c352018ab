/** Dashboard sessions: signed, expiring, revocable, and bound to the admin token. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessions } from '../../src/dashboard/sessions.ts';
import { openSqliteStores, type SqliteStores } from '../../src/store/sqlite/index.ts';

const TOKEN = 'admin-token-for-session-tests-0123456789';
const T0 = Date.UTC(2026, 0, 1);
const TTL = 3_600_000;

let stores: SqliteStores;
beforeEach(async () => {
  stores = await openSqliteStores({ path: ':memory:' });
});
afterEach(async () => stores.close());

describe('dashboard sessions', () => {
  it('issues a token that verifies until it expires, with a CSRF token of its own', async () => {
    const sessions = createSessions({ adminToken: TOKEN, ttlMs: TTL, state: stores.state });
    const { token, session } = sessions.issue(T0);
    expect(session.expiresAt).toBe(T0 + TTL);
    expect(await sessions.verify(token, T0 + TTL - 1)).toEqual(session);
    expect(await sessions.verify(token, T0 + TTL)).toBeUndefined();
    const other = sessions.issue(T0);
    expect(other.session.csrf).not.toBe(session.csrf);
    expect(token).not.toContain(TOKEN);
  });

  it('refuses tampered, malformed and foreign tokens', async () => {
    const sessions = createSessions({ adminToken: TOKEN, ttlMs: TTL, state: stores.state });
    const { token } = sessions.issue(T0);
    const [version, id, expires, mac] = token.split('.');
    const longer = `${version}.${id}.${Number(expires) + TTL}.${mac}`;
    for (const bad of [longer, `${token}x`, 'v1.a.b', '', undefined, token.replace('v1', 'v2')]) {
      expect(await sessions.verify(bad, T0), String(bad)).toBeUndefined();
    }
    // A new admin token ends every session made with the old one.
    const rotated = createSessions({ adminToken: `${TOKEN}-rotated`, ttlMs: TTL, state: stores.state });
    expect(await rotated.verify(token, T0)).toBeUndefined();
  });

  it('remembers a logout until the session would have expired, across processes sharing the store', async () => {
    const one = createSessions({ adminToken: TOKEN, ttlMs: TTL, state: stores.state });
    const two = createSessions({ adminToken: TOKEN, ttlMs: TTL, state: stores.state });
    const a = one.issue(T0);
    const b = one.issue(T0 + 10);
    await Promise.all([one.revoke(a.session, T0 + 1), two.revoke(b.session, T0 + 1)]);
    expect(await two.verify(a.token, T0 + 2)).toBeUndefined();
    expect(await one.verify(b.token, T0 + 2)).toBeUndefined();
    const c = one.issue(T0 + 2 * TTL);
    await one.revoke(c.session, T0 + 2 * TTL);
    // Expired entries are pruned as new logouts are written.
    expect(
      Object.keys((await stores.state.get<Record<string, number>>('dashboard:revoked-sessions')) ?? {}),
    ).toEqual([c.session.id]);
  });
});
