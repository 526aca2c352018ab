/**
 * A Lua script run by its SHA1 (EVALSHA), sent in full only when the server does not have it yet
 * (NOSCRIPT after a restart or on a new server). Every multi-key script here keeps its keys in one
 * hash slot (`{...}` tags) so that it also runs on a Redis Cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown>;
}

export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        // The reply's first word is Redis's error code.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
  };
}
