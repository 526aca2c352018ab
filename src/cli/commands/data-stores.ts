/** Opening the data directory's SQLite file for the inspection commands (runs, dlq, trace). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AutopilotError } from '../../errors.ts';
import type { Stores } from '../../store/ports.ts';
import { openSqliteStores } from '../../store/sqlite/open-sqlite-stores.ts';
import type { CliIo } from '../io.ts';
import { parseCliArgs } from '../parse-cli-args.ts';

export const DB_FILE = 'autopilot.db';

/** `--data <dir>`, else `AUTOPILOT_DATA`, else `./.data`. */
export function dataFile(dataOption: string | undefined, io: CliIo): string {
  const dir = dataOption ?? io.env.AUTOPILOT_DATA ?? '.data';
  return resolve(io.cwd, dir, DB_FILE);
}

/** Opens an existing database; never creates one (a typo in --data must not look like an empty queue). */
export async function openDataStores(dataOption: string | undefined, io: CliIo): Promise<Stores> {
  const path = dataFile(dataOption, io);
  if (!existsSync(path)) {
    throw new AutopilotError('AP_NOT_FOUND', `no database at ${path} (use --data <dir> or AUTOPILOT_DATA)`);
  }
  return openSqliteStores({ path });
}

export async function withStores<T>(
  dataOption: string | undefined,
  io: CliIo,
  use: (stores: Stores) => Promise<T>,
): Promise<T> {
  const stores = await openDataStores(dataOption, io);
  try {
    return await use(stores);
  } finally {
    await stores.close();
  }
}

export function isoTime(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** Left-aligned columns, for tables a person reads in a terminal. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `--data <dir>`, `--json` and `--help`, the options of the commands that read the data dir. */
export function readDataArgs(args: string[], usage: string) {
  return parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    usage,
  );
}
