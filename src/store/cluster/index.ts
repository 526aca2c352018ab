export {
  openClusterStores,
  redactUrl,
  DEFAULT_DEDUPE_RETENTION_MS,
  type ClusterStoreOptions,
  type ClusterStores,
} from './open-cluster-stores.ts';
export { MIN_POSTGRES_MAJOR, MIN_REDIS_VERSION } from './startup-checks.ts';
