/** Counts rows in the engine's SQLite event log through a second, read-only connection. */
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';

export function storedEventCount(dataDir: string, id?: string): number {
  const db = new DatabaseSync(join(dataDir, 'autopilot.db'), { readOnly: true });
  try {
    const row = (
      id === undefined
        ? db.prepare('SELECT count(*) AS n FROM events').get()
        : db.prepare('SELECT count(*) AS n FROM events WHERE id = ?').get(id)
    ) as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}
