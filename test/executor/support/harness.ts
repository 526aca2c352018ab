/** Real SQLite stores in memory, a scripted API, and an executor with small settings. */
import { createExecutor, type Executor, type ExecutorOptions } from '../../../src/executor/executor.ts';
import type { Rule } from '../../../src/rules/rule.ts';
import { openSqliteStores } from '../../../src/store/sqlite/open-sqlite-stores.ts';
import type { Stores } from '../../../src/store/ports.ts';
import { ScriptedApi } from './scripted-api.ts';

export interface Harness {
  stores: Stores;
  api: ScriptedApi;
  executor: Executor;
  rules: Map<string, Rule>;
  errors: unknown[];
  close(): Promise<void>;
}

export const FAST_RETRY = { maxAttempts: 10, maxElapsedMs: 60_000, baseDelayMs: 2, maxDelayMs: 10 };

export async function startHarness(options: Partial<ExecutorOptions> = {}): Promise<Harness> {
  const stores = await openSqliteStores({ path: ':memory:' });
  const api = new ScriptedApi();
  const rules = new Map<string, Rule>();
  const errors: unknown[] = [];
  const executor = createExecutor({
    runs: stores.runs,
    audit: stores.audit,
    api,
    rules: (id) => rules.get(id),
    concurrency: 4,
    leaseMs: 2000,
    pollMs: 5,
    retry: FAST_RETRY,
    rateLimitOf: (operation) => ({ key: operation, cls: { qps: 1000 } }),
    onError: (error) => errors.push(error),
    ...options,
  });
  return {
    stores,
    api,
    executor,
    rules,
    errors,
    async close() {
      await executor.stop(1000);
      await stores.close();
    },
  };
}
