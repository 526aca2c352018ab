/** Real SQLite stores in memory, a scripted API, and an executor with small settings. */
import { createExecutor, type Executor, type ExecutorOptions } from '../../../src/executor/executor.ts';
import type { Rule } from '../../../src/rules/rule.ts';
import { openSqliteStores } from '../../../src/store/sqlite/open-sqlite-stores.ts';
import type { RunQueue, Stores } from '../../../src/store/ports.ts';
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

/**
 * `wrapRuns` puts a run queue of the test's in front of the real one (a crash before a
 * checkpoint); the executor's program reads variables from the harness's own state store.
 */
export async function startHarness(
  options: Partial<ExecutorOptions> = {},
  wrapRuns?: (real: RunQueue) => RunQueue,
): Promise<Harness> {
  const stores = await openSqliteStores({ path: ':memory:' });
  const api = new ScriptedApi();
  const rules = new Map<string, Rule>();
  const errors: unknown[] = [];
  const executor = createExecutor({
    runs: wrapRuns ? wrapRuns(stores.runs) : stores.runs,
    audit: stores.audit,
    program: { state: stores.state },
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
