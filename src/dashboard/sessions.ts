/**
 * Dashboard sessions: the admin token is exchanged once for a signed, expiring session token kept
 * in an HttpOnly cookie. Signed rather than stored, so every engine process of a cluster accepts
 * it; the key is derived from the admin token, so rotating the token ends every session. A
 * logout is remembered in the state store until the session would have expired anyway.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StateStore } from '../store/ports.ts';

export interface Session {
  id: string;
  expiresAt: number;
  /** Sent back by the page on every action (header `X-CSRF-Token`). */
  csrf: string;
}

export interface Sessions {
  issue(now: number): { token: string; session: Session };
  verify(token: string | undefined, now: number): Promise<Session | undefined>;
  revoke(session: Session, now: number): Promise<void>;
}

const REVOKED_KEY = 'dashboard:revoked-sessions';
const VERSION = 'v1';

export function createSessions(options: { adminToken: string; ttlMs: number; state: StateStore }): Sessions {
  const key = createHmac('sha256', options.adminToken).update('fp-autopilot dashboard session').digest();
  const mac = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  const sessionOf = (id: string, expiresAt: number): Session => ({ id, expiresAt, csrf: mac(`csrf.${id}`) });

  return {
    issue(now) {
      const id = randomBytes(18).toString('base64url');
      const expiresAt = now + options.ttlMs;
      const body = `${VERSION}.${id}.${expiresAt}`;
      return { token: `${body}.${mac(body)}`, session: sessionOf(id, expiresAt) };
    },
    async verify(token, now) {
      const parts = token?.split('.') ?? [];
      if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
      const [, id = '', expires = '', signature = ''] = parts;
      if (!equal(signature, mac(`${VERSION}.${id}.${expires}`))) return undefined;
      const expiresAt = Number(expires);
      if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return undefined;
      const revoked = (await options.state.get<Record<string, number>>(REVOKED_KEY)) ?? {};
      return Object.hasOwn(revoked, id) ? undefined : sessionOf(id, expiresAt);
    },
    async revoke(session, now) {
      // Compare-and-set: two logouts at once (two processes) must not lose one another's entry.
      for (;;) {
        const current = await options.state.get<Record<string, number>>(REVOKED_KEY);
        const next: Record<string, number> = {};
        for (const [id, expiresAt] of Object.entries(current ?? {}))
          if (expiresAt > now) next[id] = expiresAt;
        next[session.id] = session.expiresAt;
        if (await options.state.compareAndSet(REVOKED_KEY, current, next)) return;
      }
    },
  };
}

/** Constant-time comparison of two texts (lengths may differ). */
export function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
