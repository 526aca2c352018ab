/** The engine's configuration after loading and validation. Frozen; read it, never change it. */

export interface GenericWebhookConfig {
  /** Standard Webhooks secrets (`whsec_<base64>` or raw), several for rotation. */
  secrets: string[];
}

export interface Config {
  profile: 'embedded' | 'cluster';
  host: string;
  port: number;
  rulesDir: string;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  feishu: {
    /** Absent credentials mean: run against the built-in simulator. */
    baseUrl?: string;
    pluginId?: string;
    pluginSecret?: string;
    /** The engine's own user: the X-USER-KEY it acts as, and how it recognizes its own events. */
    userKey?: string;
    /** Tokens accepted in `header.token`; several allow rotation. */
    webhookTokens: string[];
  };
  /** Bearer token of the admin API; the admin API is off without one. */
  adminToken?: string;
  /**
   * Where `/metrics` is served. Without `port` it is on the main listener; with one it is served
   * only there (on `host`, default the main `host`). With `token` it needs `Authorization: Bearer`.
   */
  metrics: { host?: string; port?: number; token?: string };
  /** OpenTelemetry spans over OTLP/HTTP; off while neither endpoint is set. */
  tracing: {
    /** OTLP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. */
    endpoint?: string;
    /** Full traces URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); wins over `endpoint`. */
    tracesEndpoint?: string;
    /** `name=value` headers sent with each export (URL-encoded values allowed). */
    headers: string[];
    serviceName: string;
  };
  /**
   * What rules read as `{{secrets.NAME}}` (http headers and bodies, api bodies), by upper-case
   * name: `AUTOPILOT_SECRET_<NAME>` or `_FILE`, or the file's `secrets:`. Never logged or stored.
   */
  secrets: Record<string, string>;
  webhooks: Record<string, GenericWebhookConfig>;
  lark: {
    baseUrl?: string;
    appId?: string;
    appSecret?: string;
    verificationToken?: string;
    encryptKey?: string;
  };
  cluster: { redisUrl?: string; databaseUrl?: string };
  http: { allowedHosts: string[] };
  intake: { bodyLimitBytes: number; timestampToleranceMs: number };
  /** The HTTP server's connections (src/server/http-server.ts). */
  server: {
    /** Time to receive a request's headers, from the connection or the previous request. */
    headersTimeoutMs: number;
    /** Time to receive a whole request, headers and body (a trickled body is cut off). */
    requestTimeoutMs: number;
    /** How long a kept-alive connection may sit idle between requests. */
    idleTimeoutMs: number;
    /** Connections open at once; more are closed as they arrive. */
    maxConnections: number;
  };
  /** Event processing (src/engine/event-processor.ts). */
  events: {
    /** Lease on a claimed event: a stopped processor's events, and failed ones, come back after it. */
    leaseMs: number;
    /** Claims without a verdict before an event is dead-lettered (`AP_POISON`). */
    maxClaims: number;
  };
  loop: {
    maxDepth: number;
    breakerMaxRuns: number;
    breakerWindowMs: number;
    /** How many times a rule may answer a Feishu automation rule's answer to its own write in one chain. */
    maxAutomationCycles: number;
  };
  /** Gap-free ingestion from the operation records (src/reconcile/), on the leader. */
  reconcile: {
    enabled: boolean;
    /** How often the changes since the watermark are looked for. */
    intervalMs: number;
    /** Changes younger than this are left to their webhooks (a late webhook is not a missed one). */
    settleMs: number;
    /** The reconciler's share of the API budget. */
    maxRequestsPerSecond: number;
    /** Spaces to reconcile besides those the rules name (project keys or simple names). */
    spaces: string[];
  };
  /** Drift watch (src/meta/drift-watch.ts): the loaded rules checked against the tenant's metadata. */
  drift: {
    enabled: boolean;
    /** How often the leader reads the metadata again. */
    intervalMs: number;
    /** What a rule that stops fitting the space becomes: `shadow` (plans, never calls the API) or `warn` (keeps running, says so). */
    action: 'shadow' | 'warn';
    /** A Lark chat (`oc_…`) told of every rule that stops or starts fitting again. */
    opsChat?: string;
    /** Event types after which the metadata is read again at once (a webhook saying the space changed). */
    refreshOn: string[];
  };
  executor: {
    concurrency: number;
    leaseMs: number;
    /** Claims without progress before a run is dead-lettered (`AP_POISON`). */
    maxClaims: number;
    shutdownDeadlineMs: number;
  };
  retention: { eventsMs: number; auditMs: number };
  /** The dashboard at /ui/ (on when `adminToken` is set). */
  dashboard: {
    /** How long a dashboard login lasts. */
    sessionTtlMs: number;
    /** Mark the session cookie `Secure` (serve the engine behind TLS). */
    secureCookie: boolean;
  };
  /** Polls and schedules (src/triggers/). */
  triggers: {
    /** How often due polls and schedules are looked for. */
    tickMs: number;
    /** A schedule tick missed while no engine ran still fires when at most this late. */
    catchUpMs: number;
  };
}
