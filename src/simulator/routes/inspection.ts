/**
 * /_sim/: what tests and demos look at and steer. Plain JSON, no envelope, no token: the
 * simulator only listens on 127.0.0.1.
 */
import type { Request, Response, Router } from 'express';
import { stringify as losslessStringify } from 'lossless-json';
import { isAutopilotError } from '../../errors.ts';
import type { AutomationRule } from '../automations.ts';
import type { ChaosOptions } from '../chaos.ts';
import type { RequestFilter } from '../http/request-log.ts';
import type { Simulator } from '../simulator.ts';

function jsonBody(req: Request): Record<string, unknown> {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) return {};
  const parsed: unknown = JSON.parse(req.body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Run a handler; bad input answers 400 with the reason instead of an exception. */
function guarded(handler: (req: Request, res: Response) => void) {
  return (req: Request, res: Response) => {
    try {
      handler(req, res);
    } catch (error) {
      const message = isAutopilotError(error) ? error.message : (error as Error).message;
      res.status(400).json({ error: message });
    }
  };
}

function requestFilter(req: Request): RequestFilter {
  const q = req.query as Record<string, string | undefined>;
  return {
    route: q.route,
    method: q.method,
    path: q.path,
    outcome: q.outcome,
    err_code: q.err_code === undefined ? undefined : Number(q.err_code),
    since_seq: q.since_seq === undefined ? undefined : Number(q.since_seq),
  };
}

export function mountInspection(router: Router, sim: Simulator): void {
  router.get('/_sim/requests', (req, res) => {
    res.json(sim.requests(requestFilter(req)));
  });
  router.get('/_sim/state', (_req, res) => {
    res.type('application/json').send(losslessStringify(sim.state));
  });
  router.get('/_sim/credentials', (_req, res) => {
    res.json(sim.credentials);
  });
  router.get('/_sim/webhooks', (_req, res) => {
    res.json({ targets: sim.webhookTargets(), deliveries: sim.deliveries() });
  });
  router.post(
    '/_sim/webhooks',
    guarded((req, res) => {
      const body = jsonBody(req);
      if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url))
        throw new Error('url must be an http(s) URL');
      res.status(201).json(sim.registerWebhook(body as { url: string }));
    }),
  );
  router.post('/_sim/webhooks/deliveries/:id/redeliver', (req, res) => {
    const delivery = sim.redeliverWebhook(String(req.params.id));
    if (delivery) res.status(202).json(delivery);
    else res.status(404).json({ error: `no delivery ${String(req.params.id)} to a registered target` });
  });
  router.delete('/_sim/webhooks/:id', (req, res) => {
    res.status(sim.unregisterWebhook(String(req.params.id)) ? 204 : 404).end();
  });
  router.get('/_sim/automations', (_req, res) => {
    res.json({ rules: sim.automations(), runs: sim.automationRuns() });
  });
  router.post(
    '/_sim/automations',
    guarded((req, res) => {
      res.status(201).json(sim.registerAutomation(jsonBody(req) as unknown as AutomationRule));
    }),
  );
  router.delete('/_sim/automations/:id', (req, res) => {
    res.status(sim.unregisterAutomation(String(req.params.id)) ? 204 : 404).end();
  });
  router.get('/_sim/chaos', (_req, res) => {
    res.json(sim.chaos());
  });
  router.post(
    '/_sim/chaos',
    guarded((req, res) => {
      sim.setChaos(jsonBody(req) as ChaosOptions);
      res.json(sim.chaos());
    }),
  );
  router.post('/_sim/reset', (_req, res) => {
    sim.reset();
    res.json({ ok: true });
  });
  router.get('/_sim/effects', (_req, res) => {
    res.json(sim.effects());
  });
  router.get('/_sim/lark/replies', (_req, res) => {
    res.json(sim.larkReplies());
  });
  router.post(
    '/_sim/auth-codes',
    guarded((req, res) => {
      const body = jsonBody(req);
      if (typeof body.user_key !== 'string') throw new Error('user_key is required');
      res.status(201).json({ code: sim.issueAuthCode(body.user_key) });
    }),
  );
}
