/**
 * Who a user key is, asked of Feishu Project's `user/query` (up to 100 people per call) and
 * remembered for a while: messages to people, display names and @mentions all need it, and
 * the endpoint shares its 15/s with everything else. Keys asked for while a look-up of them is
 * under way wait for that one. A key the API does not know is remembered as unknown for a
 * shorter time (people get added). The read is the caller's, so its limiter, retries and
 * failures stay the caller's (an action's read dead-letters that action, not another).
 */
import { ExpiringMap } from '../ops/expiring-map.ts';
import { buildApiCall } from '../openapi/catalogue.ts';
import { apiErrCodeOf } from '../openapi/error-code.ts';
import type { ApiCall } from '../plan/run.ts';
import { personFromRecord, type Person } from './person.ts';

/** Performs one Open API read through the caller's limiter and returns its `data`. */
export type PeopleRead = (call: ApiCall) => Promise<unknown>;

export interface PeopleDirectoryOptions {
  now: () => number;
  /** How long a person found stays cached. @defaultValue 600_000 (10 minutes) */
  ttlMs?: number;
  /** How long a key the API did not return stays unknown. @defaultValue 60_000 */
  unknownTtlMs?: number;
}

export type IdKind = 'user_keys' | 'out_ids' | 'emails';

export interface PeopleDirectory {
  /** The people with these keys (or out_ids, or e-mails); ones Feishu Project does not know are absent. */
  find(kind: IdKind, ids: readonly string[], read: PeopleRead): Promise<Map<string, Person>>;
  /** Ids whose person (or absence) is cached, for `autopilot_memory_entries`. */
  cachedIds?(): number;
}

/** user/query takes at most 100 ids in all. */
export const USER_QUERY_MAX = 100;

interface Entry {
  person: Person | undefined;
  until: number;
}

const FIELD: Record<IdKind, (p: Person) => string | undefined> = {
  user_keys: (p) => p.userKey,
  out_ids: (p) => p.outId,
  emails: (p) => p.email,
};

/** `user/query` found nobody (answered for a whole batch when one of its ids is unknown). */
const NO_SUCH_USER = 30006;

/** The records `user/query` answers for these ids; a 30006 splits the batch to find who exists. */
async function queryUsers(kind: IdKind, ids: string[], read: PeopleRead): Promise<unknown[]> {
  try {
    const data = await read(buildApiCall('user.query', { body: { [kind]: ids } }));
    return Array.isArray(data) ? data : [];
  } catch (error) {
    if (apiErrCodeOf(error) !== NO_SUCH_USER) throw error;
    if (ids.length === 1) return [];
    const answers = await Promise.all(ids.map((id) => queryUsers(kind, [id], read)));
    return answers.flat();
  }
}

export function createPeopleDirectory(options: PeopleDirectoryOptions): PeopleDirectory {
  const ttl = options.ttlMs ?? 600_000;
  const unknownTtl = options.unknownTtlMs ?? 60_000;
  const cache = new ExpiringMap<string, Entry>(options.now, unknownTtl);
  const inFlight = new Map<string, Promise<Person | undefined>>();
  const cacheKey = (kind: IdKind, id: string) => `${kind}\u0000${id}`;

  const remember = (person: Person, until: number) => {
    for (const kind of Object.keys(FIELD) as IdKind[]) {
      const id = FIELD[kind](person);
      if (id !== undefined) cache.set(cacheKey(kind, id), { person, until }, until);
    }
  };

  const fetchChunk = (
    kind: IdKind,
    ids: string[],
    read: PeopleRead,
  ): Map<string, Promise<Person | undefined>> => {
    const answer = queryUsers(kind, ids, read).then((data) => {
      const at = options.now();
      const found = new Map<string, Person>();
      for (const raw of data) {
        const person = personFromRecord(raw);
        if (!person) continue;
        remember(person, at + ttl);
        const id = FIELD[kind](person);
        if (id !== undefined) found.set(id, person);
      }
      for (const id of ids)
        if (!found.has(id))
          cache.set(cacheKey(kind, id), { person: undefined, until: at + unknownTtl }, at + unknownTtl);
      return found;
    });
    const byId = new Map<string, Promise<Person | undefined>>();
    for (const id of ids) {
      const key = cacheKey(kind, id);
      const one = answer.then((found) => found.get(id));
      inFlight.set(key, one);
      const forget = () => inFlight.get(key) === one && inFlight.delete(key);
      one.then(forget, forget);
      byId.set(id, one);
    }
    return byId;
  };

  return {
    cachedIds: () => cache.size,
    async find(kind, ids, read) {
      const now = options.now();
      const waiting = new Map<string, Promise<Person | undefined>>();
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        const key = cacheKey(kind, id);
        const cached = cache.get(key);
        if (cached && cached.until > now) waiting.set(id, Promise.resolve(cached.person));
        else if (inFlight.has(key)) {
          // Another caller's read is under way; if it fails, this caller asks with its own.
          const theirs = inFlight.get(key) as Promise<Person | undefined>;
          waiting.set(
            id,
            theirs.catch(() => fetchChunk(kind, [id], read).get(id)),
          );
        } else missing.push(id);
      }
      for (let i = 0; i < missing.length; i += USER_QUERY_MAX) {
        for (const [id, one] of fetchChunk(kind, missing.slice(i, i + USER_QUERY_MAX), read))
          waiting.set(id, one);
      }
      const found = new Map<string, Person>();
      for (const [id, one] of waiting) {
        const person = await one;
        if (person) found.set(id, person);
      }
      return found;
    },
  };
}
