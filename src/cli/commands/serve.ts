/**
 * `autopilot serve [--config autopilot.yaml]`: the long-running engine. Without Feishu
 * credentials it starts the built-in simulator in the same process and points itself at it.
 */
import { configSecrets, loadConfig, usesSimulator } from '../../config/load-config.ts';
import { startEngine, type RunningEngine } from '../../engine/start-engine.ts';
import { createLogger } from '../../log/logger.ts';
import { tracesUrl } from '../../ops/tracing.ts';
import { parseCliArgs } from '../parse-cli-args.ts';
import type { CliCommand, CliIo } from '../io.ts';

const USAGE = 'usage: autopilot serve [--config <file.yaml>]';

export const command: CliCommand = async (args, io) => {
  const { values } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig({ env: io.env, file: values.config });
  const log = createLogger({
    level: config.logLevel,
    secrets: configSecrets(config),
    destination: io.stdout,
    traceIds: tracesUrl(config.tracing) !== undefined,
  });
  const engine = await startEngine({ config, log });
  log.info(
    { url: engine.url, profile: config.profile, rules: engine.rules.current.rules.length },
    'engine started',
  );
  io.stderr.write(banner(engine, io));
  await waitForSignal();
  log.info('shutting down');
  await engine.stop();
  return 0;
};

function banner(engine: RunningEngine, io: CliIo): string {
  const lines = [
    '',
    `fp-autopilot is serving on ${engine.url}`,
    `  webhooks:  POST ${engine.url}/webhooks/feishu   health: ${engine.url}/healthz   metrics: ${engine.metricsUrl}/metrics`,
    `  rules:     ${engine.config.rulesDir} (${engine.rules.current.rules.length} loaded, watched for changes)`,
    `  data:      ${engine.config.dataDir}`,
    engine.config.adminToken
      ? `  admin API: ${engine.url}/api (bearer token)`
      : '  admin API: off (set AUTOPILOT_ADMIN_TOKEN, ≥ 32 bytes)',
  ];
  if (engine.simulator && usesSimulator(engine.config)) {
    lines.push(
      '',
      `No Feishu credentials: running against the built-in simulator at ${engine.simulator.baseUrl}`,
      `  (space ${engine.simulator.credentials.projectKey}; its webhooks are registered to this engine).`,
      '  To use a real tenant set FEISHU_BASE_URL, FEISHU_PLUGIN_ID, FEISHU_PLUGIN_SECRET, FEISHU_USER_KEY',
      '  and FEISHU_WEBHOOK_TOKEN (see README, "Feishu Project set-up").',
    );
  }
  if (io.env.AUTOPILOT_QUIET === '1') return '';
  return `${lines.join('\n')}\n\n`;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    },
    USAGE,
  );
}
