/**
 * Three `autopilot serve` processes in the cluster profile (one Redis, one PostgreSQL) behind a
 * round-robin sender, against the simulator enforcing 15/s per endpoint: 2,000 Feishu webhooks
 * spread over them, one process SIGKILLed mid-run. Every event must give exactly one succeeded
 * run, every effect must land once, and the simulator must never see more than 15 requests of one
 * endpoint in a sliding second.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, expect, it, vi } from 'vitest';
import { OpenApiClient } from '../../src/openapi/client.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.ts';
import { openClusterStores, type ClusterStores } from '../../src/store/cluster/index.ts';
import { busiestWindow, prepareTargets } from './support/cluster-runs.ts';
import { engineFiles, startEngineProcess, type EngineProcess } from './support/engine-processes.ts';
import { describeCluster, type ClusterServices } from './support/services.ts';

const EVENTS = 2000;
const ROUTES = ['comment.create', 'workItem.update', 'comment.update'];

/** One rule per event type, each writing through a different endpoint. */
function rules(commentId: string): Record<string, string> {
  return {
    'cluster-created.yaml': `id: cluster-created
description: a created work item gets a comment
on: { event: work_item.created }
do:
  - comment: { text: 'created {{event.id}}' }
`,
    'cluster-commented.yaml': `id: cluster-commented
description: a comment updates the description
on: { event: work_item.commented }
do:
  - update_fields: { fields: { description: 'commented {{event.id}}' } }
`,
    'cluster-updated.yaml': `id: cluster-updated
description: an update rewrites our comment
on: { event: work_item.updated }
do:
  - api:
      operation: comment.update
      path:
        project_key: '{{event.projectKey}}'
        work_item_type_key: '{{event.workItem.typeKey}}'
        work_item_id: '{{event.workItem.id}}'
        comment_id: '${commentId}'
      body: { content: 'updated {{event.id}}' }
`,
  };
}

/** The engines use the profile's default namespace: start and end with it empty. */
async function clearDefaultNamespace(services: ClusterServices): Promise<void> {
  const redis = new Redis(services.redisUrl);
  const keys = await redis.keys('autopilot:*');
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  await redis.quit();
  const admin = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
  await admin.query('DROP SCHEMA IF EXISTS autopilot CASCADE');
  await admin.end();
}

/**
 * The end-to-end check of the cluster profile: three `autopilot serve` processes share the
 * stores, the rate limiter and the leader lock through Redis and PostgreSQL; one is killed while
 * it holds claimed events and runs. About a minute.
 */

describeCluster('cluster: several autopilot serve processes', (services) => {
  let sim: RunningSimulator | undefined;
  let client: OpenApiClient | undefined;
  let checker: ClusterStores | undefined;
  let files: ReturnType<typeof engineFiles> | undefined;
  const engines: EngineProcess[] = [];

  afterEach(async () => {
    await Promise.allSettled(engines.splice(0).map((engine) => engine.kill()));
    await checker?.close();
    await client?.close();
    await sim?.close();
    files?.cleanup();
    await clearDefaultNamespace(services());
  });

  it('takes 2,000 webhooks on 3 engines, one killed: none lost, none applied twice, ≤ 15/s per endpoint', async () => {
    await clearDefaultNamespace(services());
    sim = await startSimulator({ rateLimits: true });
    client = new OpenApiClient({ baseUrl: sim.baseUrl, ...sim.credentials });
    const targets = await prepareTargets(sim, client);
    const updated = targets[0]!;
    // Hundreds of events per work item on purpose: the loop breaker is lifted for this load.
    files = engineFiles(
      rules(updated.commentId),
      'executor:\n  leaseMs: 3000\nloop:\n  breakerMaxRuns: 100000\n',
    );
    const env = {
      AUTOPILOT_PROFILE: 'cluster',
      REDIS_URL: services().redisUrl,
      DATABASE_URL: services().databaseUrl,
      AUTOPILOT_RULES: files.rulesDir,
      AUTOPILOT_CONFIG: files.configFile,
      FEISHU_BASE_URL: sim.baseUrl,
      FEISHU_PLUGIN_ID: sim.credentials.pluginId,
      FEISHU_PLUGIN_SECRET: sim.credentials.pluginSecret,
      FEISHU_USER_KEY: sim.credentials.userKey,
      FEISHU_WEBHOOK_TOKEN: sim.credentials.webhookToken,
    };
    for (const i of [0, 1, 2]) {
      engines.push(await startEngineProcess({ ...env, AUTOPILOT_DATA: join(files.dir, `data-${i}`) }));
    }
    checker = await openClusterStores(services());
    const firstRequest = sim.requests().length;

    const bodies = Array.from({ length: EVENTS }, (_, i) => {
      const kind = i % 3;
      const target = kind === 2 ? updated : targets[i % targets.length]!;
      return {
        header: {
          event_type: ['WorkitemCreateEvent', 'WorkitemCommentEvent', 'WorkitemUpdateEvent'][kind],
          uuid: `cluster-${i}-${randomUUID()}`,
          token: sim!.credentials.webhookToken,
          operator: '7400000000000000002',
        },
        payload: {
          id: Number(target.item.id),
          name: `item ${target.item.id}`,
          project_key: target.projectKey,
          project_simple_name: sim!.credentials.simpleName,
          work_item_type_key: target.item.typeKey,
          ...(kind === 1 ? { comment: `comment ${i}` } : {}),
        },
      };
    });

    // A sender that retries on another engine when one does not answer, as Feishu would.
    const killed = new Set<EngineProcess>();
    const deliver = async (i: number) => {
      for (let attempt = 0; ; attempt++) {
        const live = engines.filter((engine) => !killed.has(engine));
        const engine = live[(i + attempt) % live.length]!;
        const answer = await fetch(`${engine.url}/webhooks/feishu`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(bodies[i]),
        }).then(
          (response) => response.status,
          () => 0,
        );
        if (answer === 200 || answer === 202) return; // 202 stored now, 200 stored before
        if (attempt > 10) throw new Error(`event ${i}: no engine took it (last status ${answer})`);
      }
    };
    let next = 0;
    const sender = async () => {
      while (next < EVENTS) {
        const i = next++;
        if (i === Math.floor(EVENTS / 3)) {
          killed.add(engines[1]!);
          await engines[1]!.kill(); // mid-run: holding events and runs it had claimed
        }
        await deliver(i);
      }
    };
    await Promise.all(Array.from({ length: 16 }, sender));

    await vi.waitFor(
      async () => {
        expect(await checker!.events.pendingCount()).toBe(0);
        const stats = await checker!.runs.stats(Date.now());
        expect(stats.depth).toBe(0);
      },
      { timeout: 240_000, interval: 250 },
    );

    // none lost: one succeeded run per event; none applied twice: one effect per action key
    const runs = await checker.runs.list({ limit: EVENTS + 100 });
    expect(runs.filter((r) => r.state !== 'succeeded').map((r) => [r.run.id, r.state, r.lastError])).toEqual(
      [],
    );
    const withRun = new Set(runs.map((r) => r.run.eventId));
    const missing = bodies.map((b) => `feishu:${b.header.uuid}`).filter((id) => !withRun.has(id));
    const firstTrails = await Promise.all(
      missing.slice(0, 2).map((id) => checker!.audit.query({ eventId: id })),
    );
    expect({ missing: missing.length, firstTrails }, 'events without a run, and what the audit says').toEqual(
      {
        missing: 0,
        firstTrails: [],
      },
    );
    expect(runs).toHaveLength(EVENTS);
    const effects = sim.effects().by_key;
    const applied = runs.flatMap((r) => r.run.actions.map((a) => effects[a.idempotencyKey] ?? 0));
    expect(applied.filter((n) => n !== 1)).toEqual([]);

    // the engines together kept every endpoint within 15 per sliding second
    const requests = sim.requests().slice(firstRequest);
    expect(requests.filter((r) => r.err_code === 10429).length).toBe(0);
    for (const route of ROUTES) {
      const times = requests.filter((r) => r.route === route && r.outcome === 'answered').map((r) => r.time);
      expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(15);
    }
    expect(sim.internalErrors()).toEqual([]);
  }, 360_000);
});
