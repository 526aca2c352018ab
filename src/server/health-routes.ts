import { Router } from 'express';
import { writeJson } from '../ingest/http/http-errors.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface HealthChecks {
  /** What `/readyz` needs: the engine can accept a delivery and store it (store, queue). */
  ready: readonly ReadinessCheck[];
  /** The Open API's side (the token), reported by `/healthz/api` and never by `/readyz`. */
  api: readonly ReadinessCheck[];
}

/**
 * /healthz (the process answers), /readyz (it can take and store events) and /healthz/api (the
 * Open API answers). A Feishu outage must not make a load balancer drop webhooks the engine could
 * still store, so the API's health is reported apart from readiness.
 */
export function healthRoutes(checks: HealthChecks): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => writeJson(res, 200, { ok: true }));
  router.get('/readyz', async (_req, res) => answerChecks(res, checks.ready));
  router.get('/healthz/api', async (_req, res) => answerChecks(res, checks.api));
  return router;
}

async function answerChecks(
  res: Parameters<typeof writeJson>[0],
  checks: readonly ReadinessCheck[],
): Promise<void> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withTimeout(check(), 2_000);
        return { name, ok: true };
      } catch (error) {
        return { name, ok: false, error: (error as Error).message };
      }
    }),
  );
  const ok = results.every((r) => r.ok);
  writeJson(res, ok ? 200 : 503, { ok, checks: results });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
