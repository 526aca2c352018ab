export {
  openSqliteStores,
  DEFAULT_DEDUPE_RETENTION_MS,
  type SqliteStoreOptions,
} from './open-sqlite-stores.ts';
