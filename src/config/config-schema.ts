/** JSON Schema of the configuration, with defaults; ajv applies the defaults while validating. */
const secretList = { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } as const;
const optionalString = { type: 'string', minLength: 1 } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile: { enum: ['embedded', 'cluster'], default: 'embedded' },
    host: { type: 'string', default: '0.0.0.0' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    rulesDir: { type: 'string', default: 'rules' },
    dataDir: { type: 'string', default: '.data' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    feishu: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        baseUrl: { type: 'string', pattern: '^https?://' },
        pluginId: optionalString,
        pluginSecret: optionalString,
        userKey: optionalString,
        webhookTokens: secretList,
      },
    },
    adminToken: { type: 'string' },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        token: { type: 'string' },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        endpoint: { type: 'string', pattern: '^https?://' },
        tracesEndpoint: { type: 'string', pattern: '^https?://' },
        headers: { type: 'array', items: { type: 'string', pattern: '^[^=]+=' }, default: [] },
        serviceName: { type: 'string', minLength: 1, default: 'fp-autopilot' },
      },
    },
    secrets: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^[A-Z][A-Z0-9_]{0,63}$' },
      additionalProperties: { type: 'string', minLength: 4 },
    },
    webhooks: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['secrets'],
        properties: { secrets: { ...secretList, minItems: 1 } },
      },
    },
    lark: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        baseUrl: { type: 'string', pattern: '^https?://' },
        appId: optionalString,
        appSecret: optionalString,
        verificationToken: optionalString,
        encryptKey: optionalString,
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        redisUrl: { type: 'string', pattern: '^rediss?://' },
        databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { allowedHosts: { type: 'array', items: { type: 'string' }, default: [] } },
    },
    intake: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        bodyLimitBytes: { ...positiveInt, default: 262_144 },
        timestampToleranceMs: { ...positiveInt, default: 300_000 },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        headersTimeoutMs: { ...positiveInt, default: 10_000 },
        requestTimeoutMs: { ...positiveInt, default: 30_000 },
        idleTimeoutMs: { ...positiveInt, default: 5_000 },
        maxConnections: { ...positiveInt, default: 1_000 },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        leaseMs: { ...positiveInt, default: 30_000 },
        maxClaims: { ...positiveInt, default: 5 },
      },
    },
    loop: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxDepth: { ...positiveInt, default: 10 },
        breakerMaxRuns: { ...positiveInt, default: 20 },
        breakerWindowMs: { ...positiveInt, default: 60_000 },
        maxAutomationCycles: { ...positiveInt, default: 2 },
      },
    },
    reconcile: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        intervalMs: { type: 'integer', minimum: 1000, default: 300_000 },
        settleMs: { type: 'integer', minimum: 0, default: 120_000 },
        maxRequestsPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 15, default: 2 },
        spaces: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      },
    },
    drift: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        intervalMs: { type: 'integer', minimum: 10_000, default: 300_000 },
        action: { enum: ['shadow', 'warn'], default: 'shadow' },
        opsChat: optionalString,
        refreshOn: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: ['webhook.meta_changed'],
        },
      },
    },
    executor: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        concurrency: { ...positiveInt, default: 16 },
        leaseMs: { ...positiveInt, default: 60_000 },
        maxClaims: { ...positiveInt, default: 5 },
        shutdownDeadlineMs: { ...positiveInt, default: 10_000 },
      },
    },
    dashboard: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sessionTtlMs: { type: 'integer', minimum: 60_000, maximum: 2_592_000_000, default: 28_800_000 },
        secureCookie: { type: 'boolean', default: false },
      },
    },
    triggers: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        tickMs: { ...positiveInt, default: 1000 },
        catchUpMs: { type: 'integer', minimum: 0, default: 3_600_000 },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // Dedupe must hold for at least 72 h; the default keeps a week.
        eventsMs: { type: 'integer', minimum: 259_200_000, default: 604_800_000 },
        auditMs: { ...positiveInt, default: 2_592_000_000 },
      },
    },
  },
} as const;
