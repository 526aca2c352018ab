/**
 * Leader election over Redis: a lock key `SET NX PX` with the holder's id and a fencing token from
 * `INCR` (one Lua script, so a token is only taken by a process that gets the lock). The leader
 * renews every `intervalMs`; when it dies its key expires after `ttlMs` and the next candidate to
 * poll takes over, with a larger token. A leader that cannot renew steps down by itself before
 * its key can have expired, so two processes never both believe they lead (clock rates aside).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisScript } from '../store/cluster/redis-script.ts';
import { listenerSet, reportListenerError, type LeaderElector } from './leader-elector.ts';

export interface RedisLeaderElectorOptions {
  redis: Redis;
  /** What is being led: one lock per name. @defaultValue 'scheduler' */
  name?: string;
  /** Prefix of the Redis keys. @defaultValue 'autopilot:' */
  prefix?: string;
  /** This process's identity in the lock. @defaultValue `hostname:pid:random` */
  id?: string;
  /** How long a term lasts without renewal: the takeover time when a leader dies. @defaultValue 5000 */
  ttlMs?: number;
  /** How often the leader renews and candidates try. @defaultValue ttlMs / 3 */
  intervalMs?: number;
  /** Redis failures while campaigning (the elector keeps trying). @defaultValue process.emitWarning */
  onError?: (error: unknown) => void;
  /** The local clock, for the term's validity. @defaultValue Date.now */
  now?: () => number;
}

// KEYS: lock, token counter. ARGV: id, ttl. Replies the token (0 when someone else holds it).
const ACQUIRE = redisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'PX', ARGV[2])
return token
`);

// KEYS: lock. ARGV: our value, ttl. Replies 1 when still ours.
const RENEW = redisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

const RELEASE = redisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

interface Term {
  token: number;
  value: string;
  validUntil: number;
}

export function createRedisLeaderElector(options: RedisLeaderElectorOptions): LeaderElector {
  const { redis } = options;
  const ttlMs = options.ttlMs ?? 5000;
  const intervalMs = options.intervalMs ?? Math.floor(ttlMs / 3);
  if (!(Number.isSafeInteger(ttlMs) && ttlMs >= 100))
    throw new RangeError(`ttlMs must be an integer ≥ 100, got ${ttlMs}`);
  if (!(Number.isSafeInteger(intervalMs) && intervalMs > 0 && intervalMs < ttlMs)) {
    throw new RangeError(`intervalMs must be a positive integer below ttlMs, got ${intervalMs}`);
  }
  const name = options.name ?? 'scheduler';
  const base = `${options.prefix ?? 'autopilot:'}leader:{${name}}`;
  const keys = { lock: `${base}:lock`, token: `${base}:token` };
  const id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const onError =
    options.onError ??
    ((error: unknown) => process.emitWarning(`leader election: ${String(error)}`, 'AutopilotWarning'));
  const now = options.now ?? Date.now;
  const listeners = listenerSet(reportListenerError);
  // Step down a tenth of the term early: the key's own expiry started after our call did.
  const margin = Math.max(10, Math.floor(ttlMs / 10));

  let running = false;
  let term: Term | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const stepDown = () => {
    if (!term) return;
    term = undefined;
    clearTimeout(expiryTimer);
    listeners.emit({ leading: false });
  };

  const extendTerm = (startedAt: number) => {
    if (!term) return;
    term.validUntil = startedAt + ttlMs - margin;
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => {
      if (term && now() >= term.validUntil) stepDown();
    }, term.validUntil - now());
    expiryTimer.unref();
  };

  const campaign = async () => {
    const startedAt = now();
    try {
      if (term) {
        const renewed = await RENEW.run(redis, [keys.lock], [term.value, ttlMs]);
        if (renewed === 1) extendTerm(startedAt);
        else stepDown();
      } else {
        const token = Number(await ACQUIRE.run(redis, [keys.lock, keys.token], [id, ttlMs]));
        if (token > 0 && running) {
          term = { token, value: `${id}#${token}`, validUntil: 0 };
          extendTerm(startedAt);
          listeners.emit({ leading: true, token });
        }
      }
    } catch (error) {
      onError(error);
    }
    if (term && now() >= term.validUntil) stepDown();
  };

  const loop = () => {
    if (!running) return;
    inFlight = campaign().then(() => {
      if (!running) return;
      tickTimer = setTimeout(loop, intervalMs);
      tickTimer.unref();
    });
  };

  return {
    start() {
      if (running) return;
      running = true;
      loop();
    },
    async stop() {
      running = false;
      clearTimeout(tickTimer);
      await inFlight;
      if (term) {
        const value = term.value;
        stepDown();
        try {
          await RELEASE.run(redis, [keys.lock], [value]);
        } catch (error) {
          onError(error); // the key expires by itself within ttlMs
        }
      }
    },
    isLeader: () => term !== undefined && now() < term.validUntil,
    fencingToken: () => (term !== undefined && now() < term.validUntil ? term.token : undefined),
    on: (_event, listener) => listeners.add(listener),
  };
}
