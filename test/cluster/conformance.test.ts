/** The store conformance suites against Redis and PostgreSQL: the same tests SQLite passes. */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openClusterStores } from '../../src/store/cluster/index.ts';
import { describeApprovalDecisionConformance } from '../store/conformance/approval-decision.ts';
import { describeAuditViewsConformance } from '../store/conformance/audit-views.ts';
import { describeAuditStoreConformance } from '../store/conformance/audit-store.ts';
import { describeEventLogConformance } from '../store/conformance/event-log.ts';
import { describeCrashDurability } from '../store/conformance/crash-durability.ts';
import type { ProcessTarget, StoreFactory } from '../store/conformance/harness.ts';
import { describeMultiProcessClaims, describeMultiProcessVars } from '../store/conformance/multi-process.ts';
import { describeRunQueueConformance } from '../store/conformance/run-queue.ts';
import { describeStateStoreConformance } from '../store/conformance/state-store.ts';
import { describeCluster, uniqueNamespace, type ClusterServices } from './support/services.ts';

async function dropNamespace(services: ClusterServices, namespace: { prefix: string; schema: string }) {
  const redis = new Redis(services.redisUrl);
  const keys = await redis.keys(`${namespace.prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  const admin = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS ${namespace.schema} CASCADE`);
  await admin.end();
}

/** Child processes open the same stores from the config (crash and multi-process suites). */
function clusterTarget(services: () => ClusterServices): ProcessTarget {
  return {
    modulePath: fileURLToPath(new URL('../../src/store/cluster/open-cluster-stores.ts', import.meta.url)),
    exportName: 'openClusterStores',
    prepare: async () => {
      const namespace = uniqueNamespace();
      return {
        config: { ...services(), ...namespace },
        cleanup: () => dropNamespace(services(), namespace),
      };
    },
  };
}

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
        await stores.close();
        await dropNamespace(services(), { prefix, schema });
      },
    };
  };
}

describeCluster('cluster stores', (services) => {
  const factory = clusterFactory(services);
  describeEventLogConformance('Redis + PostgreSQL', factory);
  describeRunQueueConformance('Redis + PostgreSQL', factory);
  describeAuditStoreConformance('Redis + PostgreSQL', factory);
  describeAuditViewsConformance('Redis + PostgreSQL', factory);
  describeStateStoreConformance('Redis + PostgreSQL', factory);
  describeApprovalDecisionConformance('Redis + PostgreSQL', factory);
  describeCrashDurability('Redis + PostgreSQL', clusterTarget(services));
  describeMultiProcessClaims('Redis + PostgreSQL', clusterTarget(services));
  describeMultiProcessVars('Redis + PostgreSQL', clusterTarget(services));
});
