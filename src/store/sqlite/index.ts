export {
  openSqliteStores,
  DEFAULT_DEDUPE_RETENTION_MS,
  type SqliteStoreOptions,
  type SqliteStores,
  type SqliteStoreInfo,
} from './open-sqlite-stores.ts';
