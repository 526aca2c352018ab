/**
 * `autopilot sim`: run the Feishu Project Open API simulator alone, with the demo tenant (or a
 * seed file), until SIGINT/SIGTERM. Prints its base URL and the seeded credentials; with
 * --json exactly one JSON object on stdout.
 */
import { parseArgs } from 'node:util';
import { AutopilotError } from '../../errors.ts';
import { parseChaosSpec, startSimulator } from '../../simulator/index.ts';
import type { CliCommand } from '../io.ts';

const USAGE = `Usage: autopilot sim [--port N] [--seed file.yaml] [--chaos k=v,...] [--snapshot file.json] [--webhook URL]... [--json]

  --port N           port on 127.0.0.1 (default 0: any free port)
  --seed FILE        tenant seed (YAML/JSON, /_sim/state shape; extends the demo tenant)
  --chaos SPEC       e.g. 50006=0.1,5xx=0.05,reset=0.02,lost=0.05,latency=200,latency_rate=0.5,seed=42
  --snapshot FILE    load the tenant from FILE if present; save it there after every write
  --webhook URL      push webhooks to URL (repeatable; more with POST /_sim/webhooks)
  --json             print {"baseUrl","pluginId","pluginSecret","userKey","projectKey","webhookToken"} only
`;

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        port: { type: 'string' },
        seed: { type: 'string' },
        chaos: { type: 'string' },
        snapshot: { type: 'string' },
        webhook: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new AutopilotError('AP_CLI_USAGE', `${(error as Error).message}\n\n${USAGE}`);
  }
}

function port(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535)
    throw new AutopilotError('AP_CLI_USAGE', `--port must be 0..65535, got '${raw}'`);
  return value;
}

/** A malformed `--chaos` is a wrong command line (exit 2), whatever the parser calls it. */
function chaosOption(spec: string): ReturnType<typeof parseChaosSpec> {
  try {
    return parseChaosSpec(spec);
  } catch (error) {
    throw new AutopilotError('AP_CLI_USAGE', `--chaos: ${(error as Error).message}\n\n${USAGE}`);
  }
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const command: CliCommand = async (args, io) => {
  const opts = options(args);
  if (opts.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  for (const url of opts.webhook ?? []) {
    if (!/^https?:\/\//.test(url))
      throw new AutopilotError('AP_CLI_USAGE', `--webhook must be an http(s) URL, got '${url}'`);
  }
  const sim = await startSimulator({
    port: port(opts.port),
    seedFile: opts.seed,
    snapshotFile: opts.snapshot,
    chaos: opts.chaos === undefined ? undefined : chaosOption(opts.chaos),
    webhooks: (opts.webhook ?? []).map((url) => ({ url })),
  });
  const c = sim.credentials;
  if (opts.json) {
    const summary = {
      baseUrl: sim.baseUrl,
      pluginId: c.pluginId,
      pluginSecret: c.pluginSecret,
      userKey: c.userKey,
      projectKey: c.projectKey,
      webhookToken: c.webhookToken,
    };
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    io.stdout.write(
      [
        `Feishu Project simulator listening on ${sim.baseUrl}`,
        `  plugin id      ${c.pluginId}`,
        `  plugin secret  ${c.pluginSecret}   (simulator only)`,
        `  user key       ${c.userKey}   (send as X-USER-KEY)`,
        `  project key    ${c.projectKey}   (simple name: ${c.simpleName})`,
        `  webhook token  ${c.webhookToken}`,
        `  lark app       ${c.larkAppId} / ${c.larkAppSecret}`,
        `Inspect: ${sim.baseUrl}/_sim/requests, /_sim/state, /_sim/webhooks. Ctrl-C to stop.`,
        '',
      ].join('\n'),
    );
  }
  const signal = await untilSignal();
  await sim.close();
  if (!opts.json) io.stderr.write(`simulator stopped (${signal})\n`);
  return 0;
};
