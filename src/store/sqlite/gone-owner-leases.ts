/**
 * Takes back the leases of processes that are gone (killed, crashed, the machine restarted), so a
 * restarted engine goes on with their runs and events at once instead of after the lease time.
 * Claim counts stay as they are: an event that killed its process still counts towards poison.
 */
import type { SqliteDb } from './database.ts';

export interface TakenBack {
  runs: number;
  events: number;
  owners: string[];
}

export function takeBackGoneLeases(db: SqliteDb, gone: (owner: string) => boolean, now: number): TakenBack {
  return db.write(() => {
    const holders = db.all<{ owner: string }>(
      `SELECT lease_owner AS owner FROM runs WHERE state = 'running' AND lease_owner IS NOT NULL
       UNION
       SELECT lease_owner FROM events
       WHERE processed_at IS NULL AND dead_at IS NULL AND lease_owner IS NOT NULL AND lease_until > :now`,
      { now },
    );
    const owners = holders.map((h) => h.owner).filter((owner) => gone(owner));
    let runs = 0;
    let events = 0;
    for (const owner of owners) {
      runs += db.run(
        `UPDATE runs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = :now
         WHERE state = 'running' AND lease_owner = :owner`,
        { owner, now },
      ).changes;
      events += db.run(
        `UPDATE events SET lease_owner = NULL, lease_until = NULL
         WHERE lease_owner = :owner AND processed_at IS NULL AND dead_at IS NULL`,
        { owner },
      ).changes;
    }
    return { runs, events, owners };
  });
}
