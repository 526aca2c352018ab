import { describe, expect, it } from 'vitest';
import { tracesUrl } from '../../src/ops/tracing.ts';
import { configSecrets, loadConfig, usesSimulator } from '../../src/config/load-config.ts';
import { isAutopilotError } from '../../src/errors.ts';

const ADMIN = 'a'.repeat(40);

function files(map: Record<string, string>) {
  return (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return text;
  };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isAutopilotError(error, 'AP_CONFIG_INVALID')) return error.details?.problems as string[];
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('applies defaults with an empty environment and runs on the simulator', () => {
    const config = loadConfig({ env: {} });
    expect(config.port).toBe(8080);
    expect(config.rulesDir).toBe('rules');
    expect(config.intake.bodyLimitBytes).toBe(262_144);
    expect(config.loop).toEqual({
      maxDepth: 10,
      breakerMaxRuns: 20,
      breakerWindowMs: 60_000,
      maxAutomationCycles: 2,
    });
    expect(config.reconcile).toEqual({
      enabled: true,
      intervalMs: 300_000,
      settleMs: 120_000,
      maxRequestsPerSecond: 2,
      spaces: [],
    });
    expect(usesSimulator(config)).toBe(true);
    expect(Object.isFrozen(config.loop)).toBe(true);
    expect(config.server).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 5_000,
      maxConnections: 1_000,
    });
    expect(config.events).toEqual({ leaseMs: 30_000, maxClaims: 5 });
  });

  it('reads the documented variables without a file', () => {
    const config = loadConfig({
      env: {
        PORT: '9000',
        AUTOPILOT_RULES: '/r',
        AUTOPILOT_DATA: '/d',
        FEISHU_BASE_URL: 'http://127.0.0.1:1234',
        FEISHU_PLUGIN_ID: 'MII_1',
        FEISHU_PLUGIN_SECRET: 'secret-1',
        FEISHU_USER_KEY: 'u1',
        FEISHU_WEBHOOK_TOKEN: 'old-token, new-token',
        AUTOPILOT_ADMIN_TOKEN: ADMIN,
      },
    });
    expect(config.port).toBe(9000);
    expect(config.feishu.webhookTokens).toEqual(['old-token', 'new-token']);
    expect(usesSimulator(config)).toBe(false);
    expect(configSecrets(config)).toEqual(expect.arrayContaining(['secret-1', 'old-token', ADMIN]));
  });

  it('reads *_FILE secrets and refuses both forms at once', () => {
    const readFile = files({ '/run/secret': 'from-file\n' });
    const config = loadConfig({ env: { FEISHU_WEBHOOK_TOKEN_FILE: '/run/secret' }, readFile });
    expect(config.feishu.webhookTokens).toEqual(['from-file']);
    const problems = problemsOf(() =>
      loadConfig({ env: { FEISHU_WEBHOOK_TOKEN: 'x', FEISHU_WEBHOOK_TOKEN_FILE: '/run/secret' }, readFile }),
    );
    expect(problems).toEqual(['FEISHU_WEBHOOK_TOKEN and FEISHU_WEBHOOK_TOKEN_FILE are both set; set one']);
  });

  it('substitutes ${VAR} in the file, and the environment wins over the file', () => {
    const readFile = files({
      'autopilot.yaml':
        'port: 7000\nrulesDir: ${RULES:-fallback}\nwebhooks:\n  github:\n    secrets: ["${GH}"]\n',
    });
    const config = loadConfig({ file: 'autopilot.yaml', env: { GH: 'whsec_abc', PORT: '7100' }, readFile });
    expect(config.port).toBe(7100);
    expect(config.rulesDir).toBe('fallback');
    expect(config.webhooks.github?.secrets).toEqual(['whsec_abc']);
  });

  it('takes generic webhook secrets from AUTOPILOT_WEBHOOK_SECRET_<NAME>', () => {
    const config = loadConfig({ env: { AUTOPILOT_WEBHOOK_SECRET_CI_PIPELINE: 's1,s2' } });
    expect(config.webhooks['ci-pipeline']?.secrets).toEqual(['s1', 's2']);
  });

  it('lists every problem at once', () => {
    const readFile = files({ 'c.yaml': 'port: high\nunknownKey: 1\nrulesDir: ${NOPE}\n' });
    const problems = problemsOf(() =>
      loadConfig({
        file: 'c.yaml',
        env: { AUTOPILOT_ADMIN_TOKEN: 'short', FEISHU_PLUGIN_ID: 'only-id', LOG_LEVEL: 'loud' },
        readFile,
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'c.yaml: ${NOPE} is not set in the environment',
        'port: must be integer',
        "config: must NOT have additional properties 'unknownKey'",
        'logLevel: must be equal to one of the allowed values (fatal, error, warn, info, debug, trace, silent)',
        'adminToken (AUTOPILOT_ADMIN_TOKEN) must be at least 32 bytes',
        'feishu: pluginId, pluginSecret and userKey go together (FEISHU_PLUGIN_ID, _SECRET, _USER_KEY)',
      ]),
    );
  });

  it('explains a missing or malformed file', () => {
    expect(problemsOf(() => loadConfig({ file: 'none.yaml', env: {}, readFile: files({}) }))).toEqual([
      'config file none.yaml: cannot be read (ENOENT)',
    ]);
    const bad = problemsOf(() =>
      loadConfig({ file: 'b.yaml', env: {}, readFile: files({ 'b.yaml': 'a: [' }) }),
    );
    expect(bad[0]).toMatch(/^config file b.yaml: /);
    expect(problemsOf(() => loadConfig({ env: { PORT: 'eighty' } }))).toEqual([
      "PORT must be a whole number, got 'eighty'",
    ]);
  });

  it('refuses connection limits that cannot hold', () => {
    const readFile = files({
      'c.yaml': 'server: { headersTimeoutMs: 20000, requestTimeoutMs: 10000, maxConnections: 0 }\n',
    });
    expect(problemsOf(() => loadConfig({ file: 'c.yaml', env: {}, readFile }))).toEqual([
      'server.maxConnections: must be >= 1',
      'server.headersTimeoutMs must not exceed server.requestTimeoutMs',
    ]);
  });

  it('reads the metrics listener and token, and refuses a short token or the webhook port', () => {
    const config = loadConfig({
      env: {
        METRICS_PORT: '9464',
        METRICS_HOST: '127.0.0.1',
        AUTOPILOT_METRICS_TOKEN: 'metrics-token-0123456',
      },
    });
    expect(config.metrics).toEqual({ port: 9464, host: '127.0.0.1', token: 'metrics-token-0123456' });
    expect(configSecrets(config)).toContain('metrics-token-0123456');
    expect(loadConfig({ env: {} }).metrics).toEqual({});
    expect(
      problemsOf(() => loadConfig({ env: { AUTOPILOT_METRICS_TOKEN: 'short', METRICS_PORT: '8080' } })),
    ).toEqual([
      'metrics.token (AUTOPILOT_METRICS_TOKEN) must be at least 16 bytes',
      'metrics.port (METRICS_PORT) must differ from port (PORT)',
    ]);
  });

  it('reads the OTLP variables; tracing stays off without an endpoint', () => {
    const off = loadConfig({ env: {} });
    expect(off.tracing).toEqual({ headers: [], serviceName: 'fp-autopilot' });
    expect(tracesUrl(off.tracing)).toBeUndefined();
    const on = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D1, tenant=t1',
        OTEL_SERVICE_NAME: 'autopilot-prod',
      },
    });
    expect(on.tracing).toEqual({
      endpoint: 'http://collector:4318/',
      headers: ['x-api-key=abc%3D1', 'tenant=t1'],
      serviceName: 'autopilot-prod',
    });
    expect(tracesUrl(on.tracing)).toBe('http://collector:4318/v1/traces');
    expect(configSecrets(on)).toContain('abc%3D1');
    const direct = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces',
      },
    });
    expect(tracesUrl(direct.tracing)).toBe('https://b/traces');
    expect(
      problemsOf(() =>
        loadConfig({
          env: {
            OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
            OTEL_EXPORTER_OTLP_HEADERS: 'novalue,k=%E0%A4%A',
          },
        }),
      ),
    ).toEqual([
      'tracing.endpoint: must match pattern "^https?://"',
      'tracing.headers.0: must match pattern "^[^=]+="',
      "tracing.headers (OTEL_EXPORTER_OTLP_HEADERS): 'k' is not URL-encoded correctly",
    ]);
  });

  it('requires Redis and PostgreSQL URLs for the cluster profile', () => {
    expect(problemsOf(() => loadConfig({ env: { AUTOPILOT_PROFILE: 'cluster' } }))).toEqual([
      'profile cluster needs cluster.redisUrl (REDIS_URL)',
      'profile cluster needs cluster.databaseUrl (DATABASE_URL)',
    ]);
  });
});
