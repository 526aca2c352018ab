/** Which lease owners are certainly gone: only names of our shape whose process no longer runs. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { leaseOwnerGone, newLeaseOwner } from '../../src/engine/lease-owners.ts';

describe('lease owners', () => {
  it('names an owner <kind>-<pid>-<8 hex> and never calls one of this process gone', () => {
    const owner = newLeaseOwner('executor');
    expect(owner).toMatch(new RegExp(`^executor-${process.pid}-[0-9a-f]{8}$`));
    expect(leaseOwnerGone(owner)).toBe(false);
  });

  it('calls an owner with our pid that this process did not make gone (a restarted container)', () => {
    expect(leaseOwnerGone(`executor-${process.pid}-0badf00d`)).toBe(true);
  });

  it('asks whether the pid runs: a finished child is gone, the parent is not', () => {
    const child = spawnSync(process.execPath, ['-e', '']);
    expect(leaseOwnerGone(`processor-${child.pid}-0badf00d`)).toBe(true);
    expect(leaseOwnerGone(`processor-${process.ppid}-0badf00d`)).toBe(false);
    expect(leaseOwnerGone('executor-12-0badf00d', () => true)).toBe(false);
  });

  it('never calls a name of another shape gone', () => {
    for (const owner of ['bench', 'worker-1', 'executor-x-0badf00d', 'executor-1-0badf00d-extra'])
      expect(leaseOwnerGone(owner, () => false)).toBe(false);
  });
});
