/**
 * createSimulator: the express app of the fake Feishu Project Open API, with its tenant and
 * every control tests need, in process. startSimulator (server.ts) puts it on a port.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Chaos, type ChaosOptions } from './chaos.ts';
import type { Clock, LarkReply, SimCore } from './http/core.ts';
import { IdempotencyLedger, SlidingWindowLimiter } from './http/rate-limit.ts';
import { RequestLog, type RequestFilter, type RequestRecord } from './http/request-log.ts';
import { mount, type RouteDef } from './http/route.ts';
import { TokenStore } from './http/tokens.ts';
import { DEMO, demoTenant, loadSeedFile } from './model/seed.ts';
import { emptyTenant } from './model/seed-config.ts';
import { Tenant } from './model/tenant.ts';
import type { TenantData } from './model/types.ts';
import { authRoutes } from './routes/auth.ts';
import { commentRoutes } from './routes/comments.ts';
import { configRoutes } from './routes/config.ts';
import { fileRoutes } from './routes/files.ts';
import { mountInspection } from './routes/inspection.ts';
import { demoLarkDirectory } from './model/lark-seed.ts';
import { LarkState, type CardCallbackTarget, type LarkMessage } from './lark/lark-state.ts';
import { click, type ClickInput } from './lark/card-click.ts';
import type { CardCallbackDelivery } from './lark/lark-state.ts';
import { mountLark } from './routes/lark.ts';
import { recordRoutes } from './routes/records.ts';
import { relationRoutes } from './routes/relations.ts';
import { searchRoutes } from './routes/search.ts';
import { subtaskRoutes } from './routes/subtasks.ts';
import { userRoutes } from './routes/users.ts';
import { workItemRoutes } from './routes/work-items.ts';
import { workflowRoutes } from './routes/workflow.ts';
import { WebhookDispatcher, type Delivery, type WebhookTarget } from './webhooks/dispatcher.ts';

export interface SimulatorOptions {
  /** Milliseconds since the epoch; drives token expiry and rate-limit windows. @defaultValue Date.now */
  clock?: Clock;
  /** The initial tenant. @defaultValue 'demo' */
  tenant?: 'demo' | 'empty' | TenantData;
  /** A YAML/JSON seed file (see loadSeedFile); wins over `tenant`. */
  seedFile?: string;
  /** Load the tenant from this JSON file when it exists, and save it there after every write. */
  snapshotFile?: string;
  /** `header.token` of pushed webhooks. @defaultValue 'sim-webhook-token' */
  webhookToken?: string;
  /** Webhook URLs registered at start. */
  webhooks?: Omit<WebhookTarget, 'id'>[];
  /** Attempts per webhook delivery. @defaultValue 3 */
  webhookAttempts?: number;
  /** @defaultValue 100 */
  webhookRetryDelayMs?: number;
  chaos?: ChaosOptions;
  /** Enforce 10429 limits. @defaultValue true */
  rateLimits?: boolean;
  /** Token lifetime. @defaultValue 7200 */
  tokenTtlSeconds?: number;
}

export interface SimCredentials {
  pluginId: string;
  pluginSecret: string;
  /** The bot user to send as X-USER-KEY. */
  userKey: string;
  projectKey: string;
  simpleName: string;
  webhookToken: string;
  larkAppId: string;
  larkAppSecret: string;
}

export interface Simulator {
  app: Express;
  tenant: Tenant;
  /** The live tenant data (mutating it changes what the API serves). */
  readonly state: TenantData;
  credentials: SimCredentials;
  requests(filter?: RequestFilter): RequestRecord[];
  deliveries(): Delivery[];
  webhookTargets(): WebhookTarget[];
  registerWebhook(target: Omit<WebhookTarget, 'id'>): WebhookTarget;
  unregisterWebhook(id: string): boolean;
  /** Push a recorded delivery again, same body and `header.uuid` (de-duplication tests). */
  redeliverWebhook(deliveryId: string): Delivery | undefined;
  /** Resolves once every queued webhook delivery has finished. */
  webhooksIdle(): Promise<void>;
  chaos(): ChaosOptions;
  setChaos(options: ChaosOptions): void;
  /** Back to the initial tenant; clears requests, limits, idempotency keys, deliveries, replies. Tokens stay valid. */
  reset(): void;
  effects(): ReturnType<IdempotencyLedger['effects']>;
  larkReplies(): LarkReply[];
  /** Messages the Lark app sent (chat and direct messages, replies), with their current content. */
  larkMessages(): LarkMessage[];
  /** Where simulated clicks push `card.action.trigger` callbacks (the engine's card route). */
  setCardCallback(target: CardCallbackTarget): void;
  /** A person clicks a button of a card: the callback is pushed and its answer recorded. */
  clickCard(input: ClickInput): Promise<CardCallbackDelivery>;
  /** A one-time auth code for user_plugin_token. */
  issueAuthCode(userKey: string): string;
  /** Exceptions that were not API errors (simulator bugs); tests expect none. */
  internalErrors(): Error[];
  saveSnapshot(): void;
}

function initialTenant(options: SimulatorOptions, now: number): TenantData {
  if (options.snapshotFile && existsSync(options.snapshotFile)) {
    const data = JSON.parse(readFileSync(options.snapshotFile, 'utf8')) as TenantData;
    // Snapshots written before the Lark side existed get the demo's people and chats.
    if (data.lark.users === undefined) data.lark = { ...demoLarkDirectory(), ...data.lark };
    return data;
  }
  if (options.seedFile) return loadSeedFile(options.seedFile, now);
  if (options.tenant === 'empty') return emptyTenant();
  if (options.tenant === undefined || options.tenant === 'demo') return demoTenant(now);
  return structuredClone(options.tenant);
}

function credentialsOf(data: TenantData, webhookToken: string): SimCredentials {
  const space = data.spaces[0];
  return {
    pluginId: data.plugin.plugin_id,
    pluginSecret: data.plugin.plugin_secret,
    userKey: data.bot_user_key,
    projectKey: space?.project_key ?? DEMO.projectKey,
    simpleName: space?.simple_name ?? DEMO.simpleName,
    webhookToken,
    larkAppId: data.lark.app_id,
    larkAppSecret: data.lark.app_secret,
  };
}

/** Literal paths are registered before parameterised ones that could shadow them. */
const ROUTES: RouteDef[] = [
  ...authRoutes,
  ...userRoutes,
  ...recordRoutes,
  ...workItemRoutes,
  ...workflowRoutes,
  ...subtaskRoutes,
  ...searchRoutes,
  ...commentRoutes,
  ...relationRoutes,
  ...configRoutes,
  ...fileRoutes,
];

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const clock = options.clock ?? Date.now;
  const initial = initialTenant(options, clock());
  const pristine = structuredClone(initial);
  const webhookToken = options.webhookToken ?? 'sim-webhook-token';
  let snapshotQueued = false;
  const saveSnapshot = () => {
    snapshotQueued = false;
    if (!options.snapshotFile) return;
    const tmp = `${options.snapshotFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(core.tenant.data));
    renameSync(tmp, options.snapshotFile);
  };
  const core: SimCore = {
    tenant: new Tenant(initial),
    clock,
    tokens: new TokenStore(options.tokenTtlSeconds),
    limiter: new SlidingWindowLimiter(),
    ledger: new IdempotencyLedger(),
    chaos: new Chaos(options.chaos),
    log: new RequestLog(),
    webhooks: new WebhookDispatcher({
      token: webhookToken,
      attempts: options.webhookAttempts,
      retryDelayMs: options.webhookRetryDelayMs,
    }),
    rateLimits: options.rateLimits ?? true,
    larkReplies: [],
    lark: new LarkState(),
    larkTokens: new Map(),
    batchTasks: new Map(),
    files: new Map(),
    internalErrors: [],
    afterWrite: () => {
      if (!options.snapshotFile || snapshotQueued) return;
      snapshotQueued = true;
      setImmediate(saveSnapshot);
    },
  };
  for (const target of options.webhooks ?? []) core.webhooks.register(target);

  const app = express();
  app.disable('x-powered-by');
  app.use(express.raw({ type: () => true, limit: '110mb' }));
  const sim: Simulator = {
    app,
    tenant: core.tenant,
    get state() {
      return core.tenant.data;
    },
    credentials: credentialsOf(initial, webhookToken),
    requests: (filter) => core.log.list(filter),
    deliveries: () => core.webhooks.deliveries(),
    webhookTargets: () => core.webhooks.list(),
    registerWebhook: (target) => core.webhooks.register(target),
    unregisterWebhook: (id) => core.webhooks.unregister(id),
    redeliverWebhook: (id) => core.webhooks.redeliver(id),
    webhooksIdle: () => core.webhooks.idle(),
    chaos: () => core.chaos.current(),
    setChaos: (chaos) => core.chaos.configure(chaos),
    reset: () => {
      core.tenant.replace(structuredClone(pristine));
      core.log.clear();
      core.limiter.clear();
      core.ledger.clear();
      core.webhooks.clear();
      core.larkReplies.length = 0;
      core.lark.clear();
      core.batchTasks.clear();
    },
    effects: () => core.ledger.effects(),
    larkReplies: () => [...core.larkReplies],
    larkMessages: () => core.lark.list(),
    setCardCallback: (target) => {
      core.lark.callback = { ...target };
    },
    clickCard: (input) => click(core, input),
    issueAuthCode: (userKey) => core.tokens.issueCode(userKey, clock()),
    internalErrors: () => [...core.internalErrors],
    saveSnapshot,
  };
  mountInspection(app, sim);
  mountLark(app, core);
  for (const def of ROUTES) mount(app, core, def);
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('404 page not found');
  });
  // Body-parser failures (too large, aborted) still answer in the API's envelope.
  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 400;
    res
      .status(status)
      .json({ err_code: 9999, err_msg: 'Invalid Param', err: { code: 9999, msg: error.message } });
  });
  return sim;
}

/** Every Open API operation the simulator serves: catalogue id, method, path template, limit, write. */
export const SERVED_ROUTES: readonly Pick<RouteDef, 'id' | 'method' | 'path' | 'limit' | 'write'>[] =
  ROUTES.map(({ id, method, path, limit, write }) => ({
    id,
    method,
    path,
    limit: limit ?? { qps: 15 },
    write: write ?? false,
  }));

/** The catalogue ids of every Open API operation the simulator serves. */
export const SERVED_OPERATIONS: string[] = ROUTES.map((r) => r.id);
