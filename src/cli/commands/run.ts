/**
 * `autopilot run <rule-id> --work-item <project>/<type>/<id> [--url URL] [--operator user_key]
 * [--request-id uuid] [--config file] [--json]`: a manual run through the running engine's admin
 * API (`POST /api/rules/<id>/run`), so the run is stored, queued and audited by the engine like
 * any other. The engine's address is `--url`, else `http://127.0.0.1:<PORT>` from the
 * configuration; the token is the configuration's admin token (`AUTOPILOT_ADMIN_TOKEN`).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Config } from '../../config/config.ts';
import { loadConfig } from '../../config/load-config.ts';
import { AutopilotError, ERROR_CATALOGUE, isAutopilotError, type ErrorCode } from '../../errors.ts';
import { isManualRequestId } from '../../ingest/manual/manual-run.ts';
import { parseWorkItemRef } from '../../ingest/manual/work-item-ref.ts';
import type { CliCommand } from '../io.ts';
import { parseCliArgs } from '../parse-cli-args.ts';

const USAGE =
  'usage: autopilot run <rule-id> --work-item <project>/<type>/<id> [--url <engine url>] [--operator <user_key>] [--request-id <uuid>] [--config <file>] [--json]';

interface RunAnswer {
  eventId: string;
  runId: string;
  ruleId: string;
  workItem: string;
  duplicate: boolean;
}

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        'work-item': { type: 'string' },
        url: { type: 'string' },
        operator: { type: 'string' },
        'request-id': { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [ruleId, ...extra] = positionals;
  if (ruleId === undefined || extra.length > 0 || values['work-item'] === undefined) {
    throw new AutopilotError('AP_CLI_USAGE', USAGE);
  }
  const workItem = usageChecked(() => parseWorkItemRef(values['work-item'], '--work-item'));
  const requestId = values['request-id'];
  // Refused here, as a malformed --work-item is: the engine would only answer AP_BAD_REQUEST.
  if (requestId !== undefined && !isManualRequestId(requestId)) {
    throw new AutopilotError('AP_CLI_USAGE', `--request-id '${requestId}' is not a UUID\n${USAGE}`);
  }
  const file = values.config === undefined ? undefined : resolve(io.cwd, values.config);
  const config = loadConfig({ env: io.env, file, requireWebhookTokens: false });
  const token = config.adminToken;
  if (token === undefined) {
    throw new AutopilotError(
      'AP_CONFIG_INVALID',
      "AUTOPILOT_ADMIN_TOKEN is not set: autopilot run asks the engine's admin API, which needs its token",
    );
  }
  const base = engineUrl(values.url, config);
  const body = {
    work_item: `${workItem.project}/${workItem.type}/${workItem.id}`,
    requested_by: 'cli',
    // Chosen here, so that the engine stores the run once however often this request is sent.
    request_id: requestId ?? randomUUID(),
    ...(values.operator === undefined ? {} : { operator: values.operator }),
  };
  const answer = await post(`${base}/api/rules/${encodeURIComponent(ruleId)}/run`, token, body);
  io.stdout.write(
    values.json
      ? `${JSON.stringify(answer, null, 2)}\n`
      : `${answer.duplicate ? 'already stored' : 'stored'}: event ${answer.eventId}, run ${answer.runId} (rule ${answer.ruleId} on ${answer.workItem})\n` +
          `follow it with: autopilot trace ${answer.eventId}\n`,
  );
  return 0;
};

function usageChecked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isAutopilotError(error)) throw new AutopilotError('AP_CLI_USAGE', `${error.message}\n${USAGE}`);
    throw error;
  }
}

function engineUrl(given: string | undefined, config: Readonly<Config>): string {
  if (given !== undefined) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new AutopilotError('AP_CLI_USAGE', `--url '${given}' is not a URL\n${USAGE}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AutopilotError('AP_CLI_USAGE', `--url must be http:// or https://\n${USAGE}`);
    }
    return given.replace(/\/+$/, '');
  }
  // A wildcard listen address is not one to connect to; the engine is then on this machine.
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

async function post(url: string, token: string, body: unknown): Promise<RunAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new AutopilotError(
      'AP_ENGINE_UNREACHABLE',
      `could not reach the engine at ${new URL(url).origin}: ${causeOf(error)} (is it running? --url sets where)`,
    );
  }
  const text = await response.text();
  const parsed = parseAnswer(text);
  if (response.ok && parsed !== undefined && typeof parsed.eventId === 'string') {
    return parsed as unknown as RunAnswer;
  }
  const refusal = (parsed?.error ?? {}) as { code?: unknown; message?: unknown };
  const code =
    typeof refusal.code === 'string' && Object.hasOwn(ERROR_CATALOGUE, refusal.code)
      ? (refusal.code as ErrorCode)
      : 'AP_ENGINE_UNREACHABLE';
  const message =
    typeof refusal.message === 'string'
      ? refusal.message
      : `the engine answered ${response.status} without a coded error (is ${new URL(url).origin} the engine?)`;
  throw new AutopilotError(code, message);
}

function parseAnswer(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
