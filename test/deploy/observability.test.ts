/**
 * The Grafana dashboard and the Prometheus alert rules under deploy/ use only metrics the engine
 * really exports (names read from its registry), and the alerts cover what operators asked for.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineMetricNames } from '../support/metric-names.ts';

const file = (path: string) => readFileSync(new URL(`../../deploy/${path}`, import.meta.url), 'utf8');

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const alerts = (
  parse(file('prometheus/alerts.yaml')) as { groups: Array<{ rules: AlertRule[] }> }
).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(file('grafana/fp-autopilot-dashboard.json')) as {
  uid: string;
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; definition?: string }> };
};

let exported: Set<string>;
beforeAll(async () => {
  exported = new Set(await engineMetricNames());
});

/** Metric names in a PromQL expression; histogram series map onto their family. */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:autopilot|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
  return names.map((name) => {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    return family !== name && exported.has(family) ? family : name;
  });
}

describe('deploy/prometheus/alerts.yaml', () => {
  it('alerts on dead letters rising, poison events, a saturated limiter, unprocessed events and a refused reload', () => {
    const byName = new Map(alerts.map((rule) => [rule.alert, rule]));
    expect(byName.get('AutopilotDeadLettersRising')?.expr).toContain('autopilot_runs_total{state="dead"}');
    // A poison event is neither pending nor a run: without its own alert nothing would fire.
    expect(byName.get('AutopilotPoisonEvents')?.expr).toContain('autopilot_poison_total{kind="event"}');
    expect(byName.get('AutopilotLimiterSaturated')?.expr).toContain('autopilot_limiter_waits_total');
    expect(byName.get('AutopilotEventsUnprocessed')?.expr).toContain('autopilot_events_pending');
    expect(byName.get('AutopilotRuleReloadRefused')?.expr).toContain(
      'autopilot_rule_reloads_total{result="refused"}',
    );
  });

  it('uses only metrics the engine exports', () => {
    for (const rule of alerts) {
      const names = metricsIn(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${rule.alert}: ${name}`).toBe(true);
    }
  });

  it('gives every alert a severity, a summary and a description', () => {
    for (const rule of alerts) {
      expect(['info', 'warning', 'critical'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(10);
    }
  });
});

describe('deploy/grafana/fp-autopilot-dashboard.json', () => {
  it('queries only metrics the engine exports', () => {
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    exprs.push(...dashboard.templating.list.flatMap((variable) => variable.definition ?? []));
    expect(exprs.length).toBeGreaterThan(20);
    for (const expr of exprs) {
      for (const name of metricsIn(expr)) expect(exported.has(name), `${name} in ${expr}`).toBe(true);
    }
  });

  it('shows the dead letters, the limiter, the pending events, the reloads and the HTTP histogram', () => {
    const all = dashboard.panels
      .flatMap((panel) => (panel.targets ?? []).map((target) => target.expr))
      .join('\n');
    for (const name of [
      'autopilot_dead_letters',
      'autopilot_poison_total',
      'autopilot_limiter_waits_total',
      'autopilot_events_pending',
      'autopilot_rule_reloads_total',
      'autopilot_http_request_duration_seconds_bucket',
      'autopilot_build_info',
    ]) {
      expect(all, name).toContain(name);
    }
  });

  it('has unique panel ids and a stable uid', () => {
    expect(dashboard.uid).toBe('fp-autopilot');
    const ids = dashboard.panels.map((panel) => (panel as unknown as { id: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
