/** The store conformance suites against Redis and PostgreSQL: the same tests SQLite passes. */
import pg from 'pg';
import { openClusterStores } from '../../src/store/cluster/index.ts';
import { describeAuditStoreConformance } from '../store/conformance/audit-store.ts';
import { describeEventLogConformance } from '../store/conformance/event-log.ts';
import type { StoreFactory } from '../store/conformance/harness.ts';
import { describeRunQueueConformance } from '../store/conformance/run-queue.ts';
import { describeStateStoreConformance } from '../store/conformance/state-store.ts';
import { describeCluster, uniqueNamespace, type ClusterServices } from './support/services.ts';

/** Fresh key prefix and schema per test; cleanup drops both. */
function clusterFactory(services: () => ClusterServices): StoreFactory {
  return async ({ now }) => {
    const { redisUrl, databaseUrl } = services();
    const { prefix, schema } = uniqueNamespace();
    const open = () => openClusterStores({ redisUrl, databaseUrl, now, prefix, schema });
    const stores = await open();
    return {
      stores,
      openAnother: open,
      cleanup: async () => {
        const keys = await stores.redis.keys(`${prefix}*`);
        if (keys.length > 0) await stores.redis.del(...keys);
        await stores.close();
        const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  };
}

describeCluster('cluster stores', (services) => {
  const factory = clusterFactory(services);
  describeEventLogConformance('Redis + PostgreSQL', factory);
  describeRunQueueConformance('Redis + PostgreSQL', factory);
  describeAuditStoreConformance('Redis + PostgreSQL', factory);
  describeStateStoreConformance('Redis + PostgreSQL', factory);
});
