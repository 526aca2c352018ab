/** The conformance suites against the embedded SQLite adapters, on a temp file and in memory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { describeApprovalDecisionConformance } from './conformance/approval-decision.ts';
import { describeAuditViewsConformance } from './conformance/audit-views.ts';
import { describeAuditStoreConformance } from './conformance/audit-store.ts';
import { describeEventLogConformance } from './conformance/event-log.ts';
import type { StoreFactory } from './conformance/harness.ts';
import { describeRunQueueConformance } from './conformance/run-queue.ts';
import { describeStateStoreConformance } from './conformance/state-store.ts';

const onTempFile: StoreFactory = async ({ now }) => {
  const dir = await mkdtemp(join(tmpdir(), 'fp-autopilot-store-'));
  const path = join(dir, 'autopilot.db');
  const stores = await openSqliteStores({ path, now });
  const others: Array<{ close(): Promise<void> }> = [];
  return {
    stores,
    openAnother: async () => {
      const other = await openSqliteStores({ path, now });
      others.push(other);
      return other;
    },
    cleanup: async () => {
      for (const other of others) await other.close();
      await stores.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const inMemory: StoreFactory = async ({ now }) => {
  const stores = await openSqliteStores({ path: ':memory:', now });
  return { stores, cleanup: () => stores.close() };
};

for (const [name, factory] of [
  ['SQLite file', onTempFile],
  ['SQLite :memory:', inMemory],
] as const) {
  describeEventLogConformance(name, factory);
  describeRunQueueConformance(name, factory);
  describeAuditStoreConformance(name, factory);
  describeAuditViewsConformance(name, factory);
  describeStateStoreConformance(name, factory);
  describeApprovalDecisionConformance(name, factory);
}
