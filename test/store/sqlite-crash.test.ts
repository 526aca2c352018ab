/** Crash durability of the SQLite adapters: a writer process killed with SIGKILL loses nothing. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCrashDurability } from './conformance/crash-durability.ts';

describeCrashDurability('SQLite file', {
  modulePath: fileURLToPath(new URL('../../src/store/sqlite/open-sqlite-stores.ts', import.meta.url)),
  exportName: 'openSqliteStores',
  prepare: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-autopilot-crash-'));
    return {
      config: { path: join(dir, 'autopilot.db') },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
