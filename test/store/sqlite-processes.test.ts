/**
 * The SQLite file shared by processes: SIGKILL durability, two processes claiming at once, and
 * two processes incrementing one variable at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCrashDurability } from './conformance/crash-durability.ts';
import type { ProcessTarget } from './conformance/harness.ts';
import { describeMultiProcessClaims, describeMultiProcessVars } from './conformance/multi-process.ts';

const sqliteFile: ProcessTarget = {
  modulePath: fileURLToPath(new URL('../../src/store/sqlite/open-sqlite-stores.ts', import.meta.url)),
  exportName: 'openSqliteStores',
  prepare: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-autopilot-processes-'));
    return {
      config: { path: join(dir, 'autopilot.db') },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

describeCrashDurability('SQLite file', sqliteFile);
describeMultiProcessClaims('SQLite file', sqliteFile);
describeMultiProcessVars('SQLite file', sqliteFile);
