/**
 * Environment variables and where they land in the configuration. Each also works as
 * `<NAME>_FILE` (the value is read from that file), for secrets mounted as files.
 */
export type EnvKind = 'string' | 'int' | 'list';

export interface EnvBinding {
  path: string[];
  kind: EnvKind;
  secret?: boolean;
  description: string;
}

export const ENV_BINDINGS: Record<string, EnvBinding> = {
  AUTOPILOT_PROFILE: { path: ['profile'], kind: 'string', description: '`embedded` (default) or `cluster`' },
  HOST: { path: ['host'], kind: 'string', description: 'listen address (default 0.0.0.0)' },
  PORT: { path: ['port'], kind: 'int', description: 'listen port (default 8080)' },
  AUTOPILOT_RULES: { path: ['rulesDir'], kind: 'string', description: 'rules directory (default ./rules)' },
  AUTOPILOT_DATA: { path: ['dataDir'], kind: 'string', description: 'data directory (default ./.data)' },
  LOG_LEVEL: { path: ['logLevel'], kind: 'string', description: 'pino level (default info)' },
  FEISHU_BASE_URL: {
    path: ['feishu', 'baseUrl'],
    kind: 'string',
    description: 'Open API base URL, e.g. https://project.feishu.cn',
  },
  FEISHU_PLUGIN_ID: { path: ['feishu', 'pluginId'], kind: 'string', description: 'plugin id' },
  FEISHU_PLUGIN_SECRET: {
    path: ['feishu', 'pluginSecret'],
    kind: 'string',
    secret: true,
    description: 'plugin secret',
  },
  FEISHU_USER_KEY: {
    path: ['feishu', 'userKey'],
    kind: 'string',
    description: "the engine's own user_key (X-USER-KEY; its own events are not re-matched)",
  },
  FEISHU_WEBHOOK_TOKEN: {
    path: ['feishu', 'webhookTokens'],
    kind: 'list',
    secret: true,
    description: 'webhook token(s), comma-separated for rotation',
  },
  AUTOPILOT_ADMIN_TOKEN: {
    path: ['adminToken'],
    kind: 'string',
    secret: true,
    description: 'admin API bearer token, ≥ 32 bytes (admin API off without it)',
  },
  METRICS_PORT: {
    path: ['metrics', 'port'],
    kind: 'int',
    description: 'serve `/metrics` on this port only (default: on `PORT`)',
  },
  METRICS_HOST: {
    path: ['metrics', 'host'],
    kind: 'string',
    description: 'listen address of the metrics port (default `HOST`)',
  },
  AUTOPILOT_METRICS_TOKEN: {
    path: ['metrics', 'token'],
    kind: 'string',
    secret: true,
    description: '`/metrics` needs `Authorization: Bearer <token>`, ≥ 16 bytes',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    path: ['tracing', 'endpoint'],
    kind: 'string',
    description: 'OTLP/HTTP base URL: spans go to `<url>/v1/traces` (tracing is off without it)',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    path: ['tracing', 'tracesEndpoint'],
    kind: 'string',
    description: 'full OTLP/HTTP traces URL, used as is (wins over `OTEL_EXPORTER_OTLP_ENDPOINT`)',
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    path: ['tracing', 'headers'],
    kind: 'list',
    secret: true,
    description: 'headers sent with each export, `name=value,name=value`',
  },
  OTEL_SERVICE_NAME: {
    path: ['tracing', 'serviceName'],
    kind: 'string',
    description: "the spans' `service.name` (default `fp-autopilot`)",
  },
  AUTOPILOT_HTTP_ALLOWED_HOSTS: {
    path: ['http', 'allowedHosts'],
    kind: 'list',
    description: 'hosts the `http` action may call, comma-separated',
  },
  LARK_BASE_URL: {
    path: ['lark', 'baseUrl'],
    kind: 'string',
    description: 'Lark/Feishu Open Platform base URL',
  },
  LARK_APP_ID: { path: ['lark', 'appId'], kind: 'string', description: 'chat bot app id' },
  LARK_APP_SECRET: {
    path: ['lark', 'appSecret'],
    kind: 'string',
    secret: true,
    description: 'chat bot app secret',
  },
  LARK_VERIFICATION_TOKEN: {
    path: ['lark', 'verificationToken'],
    kind: 'string',
    secret: true,
    description: 'event subscription verification token',
  },
  LARK_ENCRYPT_KEY: {
    path: ['lark', 'encryptKey'],
    kind: 'string',
    secret: true,
    description: 'event subscription encrypt key',
  },
  REDIS_URL: {
    path: ['cluster', 'redisUrl'],
    kind: 'string',
    secret: true,
    description: 'cluster profile: Redis URL',
  },
  DATABASE_URL: {
    path: ['cluster', 'databaseUrl'],
    kind: 'string',
    secret: true,
    description: 'cluster profile: PostgreSQL URL',
  },
};
