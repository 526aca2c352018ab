/**
 * `autopilot trace <event-id> [--json] [--data dir]`: the whole story of one event, in time order:
 * stored, each rule matched or not (with its conditions), runs planned, every attempt with its
 * outcome, retries, skips, dead letters, and the effects each run left.
 */
import { AutopilotError } from '../../errors.ts';
import { traceEvent, type EventStory } from '../../audit/trace-event.ts';
import type { AuditRecord, RunRecord } from '../../store/ports.ts';
import type { CliCommand } from '../io.ts';
import { isoTime, readDataArgs, withStores } from './data-stores.ts';

const USAGE = 'usage: autopilot trace <event-id> [--json] [--data <dir>]';

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = readDataArgs(args, USAGE);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [eventId, ...extra] = positionals;
  if (eventId === undefined || extra.length > 0) throw new AutopilotError('AP_CLI_USAGE', USAGE);
  const story = await withStores(values.data, io, (stores) => traceEvent(stores, eventId));
  if (!story) throw new AutopilotError('AP_NOT_FOUND', `nothing is known about event '${eventId}'`);
  io.stdout.write(values.json ? `${JSON.stringify(story, null, 2)}\n` : formatStory(eventId, story));
  return 0;
};

export function formatStory(eventId: string, story: EventStory): string {
  const lines: string[] = [];
  const e = story.event?.event;
  lines.push(
    e
      ? `event ${e.id}  ${e.type}  from ${e.source}${e.workItem ? `  work item ${e.projectKey ?? ''}:${e.workItem.id}` : ''}  occurred ${isoTime(e.occurredAt)}`
      : `event ${eventId} (no longer in the event log)`,
  );
  if (story.event) {
    const processed = story.event.processedAt
      ? `processed ${isoTime(story.event.processedAt)}`
      : 'not processed yet';
    lines.push(`  received ${isoTime(story.event.receivedAt)}, ${processed}`);
  }
  lines.push('');
  for (const record of story.audit) lines.push(...formatRecord(record));
  if (story.runs.length > 0) {
    lines.push('', 'runs:');
    for (const r of story.runs) lines.push(...formatRun(r));
  }
  return `${lines.join('\n')}\n`;
}

function formatRecord(r: AuditRecord): string[] {
  const d = r.detail ?? {};
  const who = [r.ruleId, r.actionIndex !== undefined ? `#${r.actionIndex}` : undefined]
    .filter(Boolean)
    .join(' ');
  const head = `${isoTime(r.at)}  ${r.kind.padEnd(22)} ${who}`.trimEnd();
  const say = (text: string) => [`${head}  ${text}`];
  switch (r.kind) {
    case 'rule.matched':
    case 'rule.not_matched':
    case 'rule.error': {
      const skipped = d.skipped ? `  skipped: ${compact(d.skipped)}` : '';
      const error = d.error ?? (d.code ? { code: d.code, message: d.message } : undefined);
      const why = error ? `  ${compact(error)}` : '';
      return [`${head}${skipped}${why}`, ...conditionLines(d.conditions)];
    }
    case 'run.planned':
      return say(`run ${r.runId}: ${listActions(d.actions)} (${String(d.mode)})`);
    case 'action.attempted': {
      const req = (d.request ?? {}) as { method?: string; path?: string };
      const out = (d.outcome ?? {}) as Record<string, unknown>;
      const err =
        out.errCode !== undefined ? ` ${String(out.errCode)} ${String(out.errMsg ?? '')}`.trimEnd() : '';
      const net = out.networkError ? ` ${String(out.networkError)}` : '';
      return say(
        `${stepName(d)} attempt ${String(d.attempt)}: ${req.method} ${req.path} → ${String(out.class)}${err}${net} ` +
          `(${String(d.durationMs)} ms) ⇒ ${String(d.decision)}`,
      );
    }
    case 'action.retry_scheduled': {
      const error = (d.error ?? {}) as { code?: string; message?: string };
      return say(
        `retry at ${isoTime(d.retryAt as number)} after attempt ${String(d.attempt)}: ${error.message ?? error.code}`,
      );
    }
    case 'action.skipped':
      return say(`${String(d.action)} skipped: ${String(d.reason)}`);
    case 'run.parked':
      return say(`${stepName(d)} parked the run until ${isoTime(d.until as number)}`);
    case 'run.woken':
      return say(`${stepName(d)} woke (${String(d.reason)}) at ${isoTime(d.at as number)}`);
    case 'step.var': {
      const did = d.action === 'set' ? 'set' : `added ${String(d.by)} to`;
      const again = d.repeated ? ' (already applied before a retry: not counted again)' : '';
      return say(`${stepName(d)} ${did} vars.${String(d.var)}: now ${compact(d.value)}${again}`);
    }
    case 'step.branch':
      return [`${head}  ${stepName(d)} takes ${String(d.branch)}`, ...conditionLines(d.conditions)];
    case 'event.dead_lettered':
    case 'run.dead_lettered': {
      const error = (d.error ?? {}) as Record<string, unknown>;
      const api =
        error.errCode !== undefined
          ? ` [${String(error.errCode)} ${String(error.errMsg ?? '')} log_id ${String(error.logId ?? '-')}]`
          : '';
      return say(`dead letter: ${String(error.code)} ${String(error.message)}${api}`);
    }
    default:
      return Object.keys(d).length > 0 ? say(compact(d)) : [head];
  }
}

/** `comment`, or `comment (step 2/i7/0)` for a nested step. */
function stepName(d: Record<string, unknown>): string {
  return d.step === undefined ? String(d.action) : `${String(d.action)} (step ${String(d.step)})`;
}

function conditionLines(conditions: unknown): string[] {
  if (!Array.isArray(conditions)) return conditions === undefined ? [] : [`    ${compact(conditions)}`];
  return conditions.map((c: Record<string, unknown>) => {
    const where = [c.fact, c.path].filter((x) => x !== undefined).join('.');
    return `    ${where} ${String(c.operator)} ${compact(c.expected)} (was ${compact(c.actual)}) → ${String(c.outcome)}`;
  });
}

function formatRun(r: RunRecord): string[] {
  const lines = [
    `  ${r.run.id}  ${r.state}  rule ${r.run.ruleId}  actions ${r.nextAction}/${r.run.actions.length}`,
  ];
  for (const result of r.results) {
    const action = r.run.actions[result.index];
    const data = result.data === undefined ? '' : `  ${compact(result.data)}`;
    lines.push(
      `    #${result.index} ${action?.type ?? '?'}: ${result.outcome} at ${isoTime(result.finishedAt)}${data}`,
    );
  }
  if (r.state === 'parked') lines.push(`    parked until ${isoTime(r.runAt)}`);
  if (r.lastError && r.state !== 'succeeded')
    lines.push(`    last error: ${r.lastError.code} ${r.lastError.message}`);
  return lines;
}

function listActions(actions: unknown): string {
  if (!Array.isArray(actions)) return '';
  return actions
    .map((a: { index?: number; type?: string; name?: string }) => `${a.type}${a.name ? `(${a.name})` : ''}`)
    .join(', ');
}

function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
