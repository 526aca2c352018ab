/**
 * One scenario's world: the simulator in this process (so its state can be counted), a temp
 * dir with the rules and the engine's data, and the environment that points a spawned engine at
 * the simulator. The engine can be started, killed and restarted on the same port and data.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  demoTenant,
  startSimulator,
  type ChaosOptions,
  type RunningSimulator,
} from '../../../src/simulator/index.ts';
import { freePort, startEngineProcess, type EngineProcess } from './engine-process.ts';

export const ADMIN_TOKEN = 'reliability-admin-token-0123456789abcdef';
export const WEBHOOK_TOKEN = 'reliability-webhook-token';

export interface WorldOptions {
  rules: Record<string, string>;
  env?: Record<string, string>;
  chaos?: ChaosOptions;
  /** Plugin secret of the simulated tenant (a canary in the security scenario). */
  pluginSecret?: string;
  /**
   * Extra issues (ids from FIRST_EXTRA_ISSUE) so the load spreads over many work items and stays
   * under the per-(rule, work item) run breaker, as a real tenant's traffic does.
   */
  extraIssues?: number;
  /** @defaultValue ADMIN_TOKEN */
  adminToken?: string;
}

export const FIRST_EXTRA_ISSUE = 6437200000;

export interface World {
  sim: RunningSimulator;
  dir: string;
  env: Record<string, string>;
  engine: EngineProcess | undefined;
  /** Starts (or restarts) the engine on the world's port. */
  startEngine(): Promise<EngineProcess>;
  admin(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function createWorld(options: WorldOptions): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-reliability-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(options.rules)) writeFileSync(join(rulesDir, name), text);
  const tenant = demoTenant(Date.now());
  if (options.pluginSecret) tenant.plugin.plugin_secret = options.pluginSecret;
  const model = tenant.work_items.find((item) => item.work_item_type_key === 'issue');
  for (let i = 0; model && i < (options.extraIssues ?? 0); i += 1) {
    tenant.work_items.push({ ...structuredClone(model), id: FIRST_EXTRA_ISSUE + i, name: `load issue ${i}` });
  }
  const sim = await startSimulator({ tenant, chaos: options.chaos });
  const port = await freePort();
  const env = {
    AUTOPILOT_RULES: rulesDir,
    AUTOPILOT_DATA: join(dir, 'data'),
    FEISHU_BASE_URL: sim.baseUrl,
    FEISHU_PLUGIN_ID: sim.credentials.pluginId,
    FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
    FEISHU_USER_KEY: sim.credentials.userKey,
    FEISHU_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    AUTOPILOT_ADMIN_TOKEN: options.adminToken ?? ADMIN_TOKEN,
    ...options.env,
  };
  const world: World = {
    sim,
    dir,
    env,
    engine: undefined,
    async startEngine() {
      world.engine = await startEngineProcess(env, port);
      return world.engine;
    },
    admin(path, init = {}) {
      if (!world.engine) throw new Error('engine not started');
      return fetch(`${world.engine.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${options.adminToken ?? ADMIN_TOKEN}`,
          ...(init.headers as Record<string, string>),
        },
      });
    },
    async close() {
      if (world.engine) await world.engine.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}
