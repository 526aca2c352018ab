/**
 * What the engine keeps its state in: SQLite under the data directory (embedded profile), or
 * PostgreSQL and Redis (cluster profile); and the built-in simulator the engine talks to when it
 * has no Feishu credentials.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { RunningSimulator } from '../simulator/server.ts';
import type { Stores } from '../store/ports.ts';
import { leaseOwnerGone } from './lease-owners.ts';

export async function openEngineStores(
  config: Readonly<Config>,
  now: () => number,
  log: Logger,
): Promise<Stores> {
  if (config.profile === 'cluster') {
    const { openClusterStores } = await import('../store/cluster/open-cluster-stores.ts');
    return openClusterStores({
      redisUrl: config.cluster.redisUrl as string,
      databaseUrl: config.cluster.databaseUrl as string,
      now,
    });
  }
  const { openSqliteStores } = await import('../store/sqlite/open-sqlite-stores.ts');
  mkdirSync(config.dataDir, { recursive: true });
  const stores = await openSqliteStores({ path: resolve(config.dataDir, 'autopilot.db'), now });
  // Before this process claims anything: what a killed process held goes on now, not after its lease.
  const taken = stores.takeBackGoneLeases(leaseOwnerGone, now());
  if (taken.owners.length > 0) log.info(taken, 'took back the leases of stopped processes');
  return stores;
}

/** The simulator in this process, its tenant kept in the data directory across restarts. */
export async function startBuiltInSimulator(config: Readonly<Config>): Promise<RunningSimulator> {
  const { startSimulator } = await import('../simulator/server.ts');
  mkdirSync(config.dataDir, { recursive: true });
  return startSimulator({ snapshotFile: join(config.dataDir, 'simulator.json') });
}
