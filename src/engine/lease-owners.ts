/**
 * Lease owner names (`<kind>-<pid>-<random>`) and whether the process behind one is gone. The
 * embedded profile's SQLite file is on this machine, so the pid in a name says who held a lease:
 * a pid that no longer exists, or our own pid under a name this process did not make (a
 * container restarted with the same pid), is a process that will never finish what it leased.
 */
import { randomUUID } from 'node:crypto';

const madeHere = new Set<string>();

export function newLeaseOwner(kind: 'executor' | 'processor'): string {
  const owner = `${kind}-${process.pid}-${randomUUID().slice(0, 8)}`;
  madeHere.add(owner);
  return owner;
}

/** True only when the owner's process is certainly gone; names of another shape are never gone. */
export function leaseOwnerGone(owner: string, alive: (pid: number) => boolean = pidAlive): boolean {
  if (madeHere.has(owner)) return false;
  const pid = /^[a-z]+-(\d+)-[0-9a-f]{8}$/.exec(owner)?.[1];
  if (pid === undefined) return false;
  return Number(pid) === process.pid || !alive(Number(pid));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
