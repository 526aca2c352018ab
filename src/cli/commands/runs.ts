/** `autopilot runs [--state s] [--rule id] [--event id] [--limit n] [--json] [--data dir]`: list runs. */
import { AutopilotError } from '../../errors.ts';
import { RUN_STATES as STATES, type RunRecord, type RunState } from '../../store/ports.ts';
import { parseCliArgs } from '../parse-cli-args.ts';
import type { CliCommand } from '../io.ts';
import { formatTable, isoTime, withStores } from './data-stores.ts';

const USAGE =
  'usage: autopilot runs [--state queued|running|parked|succeeded|skipped|dead] [--rule <id>] [--event <id>] [--limit <n>] [--json] [--data <dir>]';

export const command: CliCommand = async (args, io) => {
  const { values } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const state = values.state as RunState | undefined;
  if (state !== undefined && !STATES.includes(state)) {
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `unknown state '${state}' (one of ${STATES.join(', ')})\n${USAGE}`,
    );
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new AutopilotError('AP_CLI_USAGE', `--limit must be a positive integer, got '${values.limit}'`);
  }
  const runs = await withStores(values.data, io, (stores) =>
    stores.runs.list({
      ...(state ? { state } : {}),
      ...(values.rule ? { ruleId: values.rule } : {}),
      ...(values.event ? { eventId: values.event } : {}),
      limit,
    }),
  );
  if (values.json) io.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else io.stdout.write(runs.length === 0 ? 'no runs\n' : formatRuns(runs));
  return 0;
};

function formatRuns(runs: RunRecord[]): string {
  return formatTable(
    ['RUN', 'STATE', 'RULE', 'WORK ITEM', 'ACTIONS', 'ATTEMPT', 'NEXT RUN AT', 'LAST ERROR'],
    runs.map((r) => [
      r.run.id,
      r.state,
      r.run.ruleId,
      r.run.lane,
      `${r.nextAction}/${r.run.actions.length}`,
      String(r.attempt),
      r.state === 'queued' ? isoTime(r.runAt) : '-',
      r.lastError ? `${r.lastError.code}${r.lastError.errCode ? ` ${r.lastError.errCode}` : ''}` : '',
    ]),
  );
}

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      options: {
        state: { type: 'string' },
        rule: { type: 'string' },
        event: { type: 'string' },
        limit: { type: 'string' },
        data: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
}
