/** `autopilot dlq list | retry <run-id> | drop <run-id> [--json] [--data dir]`: the dead-letter queue. */
import { createAuditWriter } from '../../audit/audit-writer.ts';
import { AutopilotError } from '../../errors.ts';
import type { RunRecord, Stores } from '../../store/ports.ts';
import type { CliCommand, CliIo } from '../io.ts';
import { formatTable, isoTime, readDataArgs, withStores } from './data-stores.ts';

const USAGE = 'usage: autopilot dlq list [--json] | dlq retry <run-id> | dlq drop <run-id>   [--data <dir>]';

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = readDataArgs(args, USAGE);
  const [sub, id, ...extra] = positionals;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (sub === 'list' && id === undefined) {
    return withStores(values.data, io, (stores) => list(stores, io, values.json));
  }
  if ((sub === 'retry' || sub === 'drop') && id !== undefined && extra.length === 0) {
    return withStores(values.data, io, (stores) =>
      sub === 'retry' ? retry(stores, io, id) : drop(stores, io, id),
    );
  }
  throw new AutopilotError('AP_CLI_USAGE', USAGE);
};

async function list(stores: Stores, io: CliIo, json: boolean): Promise<number> {
  const dead = await stores.runs.list({ state: 'dead' });
  if (json) {
    io.stdout.write(`${JSON.stringify(dead, null, 2)}\n`);
    return 0;
  }
  if (dead.length === 0) {
    io.stdout.write('dead-letter queue is empty\n');
    return 0;
  }
  io.stdout.write(
    formatTable(
      ['RUN', 'RULE', 'EVENT', 'WORK ITEM', 'ACTION', 'DIED AT', 'ERROR'],
      dead.map((r) => [
        r.run.id,
        r.run.ruleId,
        r.run.eventId,
        r.run.lane,
        failedAction(r),
        isoTime(r.updatedAt),
        describe(r),
      ]),
    ),
  );
  return 0;
}

async function retry(stores: Stores, io: CliIo, id: string): Promise<number> {
  const record = await deadRun(stores, id);
  await stores.runs.requeue(id, Date.now());
  await createAuditWriter(stores.audit, Date.now).runRequeued(record.run, 'cli');
  io.stdout.write(`requeued ${id} at action ${failedAction(record)}\n`);
  return 0;
}

async function drop(stores: Stores, io: CliIo, id: string): Promise<number> {
  const record = await deadRun(stores, id);
  await stores.runs.drop(id);
  await createAuditWriter(stores.audit, Date.now).runDropped(record.run, 'cli');
  io.stdout.write(`dropped ${id}\n`);
  return 0;
}

async function deadRun(stores: Stores, id: string): Promise<RunRecord> {
  const record = await stores.runs.get(id);
  if (!record) throw new AutopilotError('AP_NOT_FOUND', `no run '${id}'`);
  if (record.state !== 'dead') {
    throw new AutopilotError('AP_NOT_FOUND', `no dead letter '${id}': the run is ${record.state}`);
  }
  return record;
}

function failedAction(r: RunRecord): string {
  const action = r.run.actions[r.nextAction];
  return action ? `${r.nextAction} ${action.type}` : String(r.nextAction);
}

function describe(r: RunRecord): string {
  const e = r.lastError;
  if (!e) return '';
  const api = [e.errCode, e.errMsg].filter((x) => x !== undefined).join(' ');
  const parts = [
    e.code,
    api || e.message,
    e.logId ? `log_id ${e.logId}` : '',
    e.httpStatus ? `HTTP ${e.httpStatus}` : '',
  ];
  return parts.filter((p) => p !== '').join(' · ');
}
