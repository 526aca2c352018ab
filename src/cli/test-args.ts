/** Arguments of `autopilot test`, parsed strictly: an unknown flag is a usage error, not ignored. */
import { parseArgs } from 'node:util';
import { AutopilotError } from '../errors.ts';

export interface TestArgs {
  event: string;
  rules: string;
  workItem?: string;
  /** A JSON file of the variables as the dry run should assume them. */
  vars?: string;
  json: boolean;
  /** Epoch ms used as `now` and as the delivery time. */
  now?: number;
}

export const TEST_USAGE = `Usage: autopilot test --event <file.json> [--rules <dir>] [--work-item <file.json>] [--vars <file.json>] [--json] [--now <iso>]

Shows what the rules would do with one event, without calling anything:
every candidate rule, each condition with the value it saw, and the exact API calls.

  --event      a raw Feishu webhook body (new or legacy format) or a canonical event
  --rules      rule file or directory (default: ./rules)
  --work-item  the work item as workItem.query returns it, or already normalized;
               without it, work_item is what the event payload carries
  --vars       the variables as set / increment steps left them, e.g.
               {"work_item": {"reopened": 2}}; without it, none is set yet
  --json       one JSON object instead of the readable tree
  --now        the current time for conditions like olderThan (ISO 8601; default: now)
`;

function usage(message: string): AutopilotError {
  return new AutopilotError('AP_CLI_USAGE', `${message}\n\n${TEST_USAGE}`);
}

export function parseTestArgs(args: string[]): TestArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        event: { type: 'string' },
        rules: { type: 'string' },
        'work-item': { type: 'string' },
        vars: { type: 'string' },
        json: { type: 'boolean' },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usage((error as Error).message);
  }
  if (values.help) return 'help';
  if (!values.event) throw usage('--event <file.json> is required');
  const parsed: TestArgs = {
    event: values.event,
    rules: values.rules ?? 'rules',
    json: values.json ?? false,
  };
  if (values['work-item'] !== undefined) parsed.workItem = values['work-item'];
  if (values.vars !== undefined) parsed.vars = values.vars;
  if (values.now !== undefined) parsed.now = parseNow(values.now);
  return parsed;
}

function parseNow(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw usage(`--now '${text}' is not an ISO 8601 time (e.g. 2025-11-24T09:00:00+08:00)`);
  return ms;
}
