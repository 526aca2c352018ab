/** The PostgreSQL side of the cluster stores: one pool, transactions, driver errors as AP_STORE. */
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { guarded } from './store-error.ts';

export type Db = pg.Pool;

/** Opens a pool whose every connection works in `schema` (one database can hold several). */
export function openPool(databaseUrl: string, schema: string, max: number): Db {
  return new pg.Pool({ connectionString: databaseUrl, max, options: `-c search_path=${schema}` });
}

export async function query<R extends QueryResultRow>(
  db: Db | PoolClient,
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: R[]; rowCount: number }> {
  return guarded('PostgreSQL', async () => {
    const result = await db.query<R>(sql, params);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  });
}

/** Runs `work` in one transaction on one connection; rolls back when it throws. */
export async function transaction<T>(db: Db, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await guarded('PostgreSQL', () => db.connect());
  let broken: Error | undefined;
  try {
    await query(client, 'BEGIN');
    const result = await work(client);
    await query(client, 'COMMIT');
    return result;
  } catch (error) {
    // The original error is the one to report; a connection that cannot even roll back is
    // destroyed instead of going back to the pool.
    broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    throw error;
  } finally {
    client.release(broken);
  }
}

/** bigint columns come back as text; epoch ms fit a double exactly. */
export function toNumber(value: string | number | null): number | undefined {
  return value === null ? undefined : Number(value);
}
