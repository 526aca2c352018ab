/**
 * The Docker Compose file and the Kubernetes manifests under deploy/ are parsed (no Docker or
 * cluster here) and matched against the engine and the README: every environment variable is
 * one the engine reads and the README documents, ports agree with PORT and METRICS_PORT, the
 * probes hit the documented endpoints, Redis keeps its append-only file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_BINDINGS } from '../../src/config/env-map.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const readme = read('README.md');
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}`);
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
};

/** A variable the engine reads and the README's configuration table lists. */
/** The section's text with line breaks folded, for sentences the README wraps. */
const prose = (title: string) => section(title).replace(/\s+/g, ' ');

function expectEngineVariable(name: string, where: string): void {
  const generic = /^AUTOPILOT_WEBHOOK_SECRET_[A-Z0-9_]+$/.test(name);
  expect(Object.hasOwn(ENV_BINDINGS, name) || generic, `${where}: ${name} is not read by the engine`).toBe(
    true,
  );
  const row = generic ? '| `AUTOPILOT_WEBHOOK_SECRET_<NAME>` |' : `| \`${name}\` |`;
  expect(section('Configuration'), `${where}: ${name} is not in the README`).toContain(row);
}

function expectDocumentedEndpoint(path: string): void {
  expect(section('Operations'), path).toContain(`| \`GET ${path}\` |`);
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(read('deploy/docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        command?: string[];
        environment?: Record<string, string>;
        ports?: string[];
        expose?: string[];
        volumes?: string[];
        healthcheck?: { test: string[] };
        depends_on?: Record<string, { condition: string }>;
      }
    >;
  };
  const engines = Object.entries(compose.services).filter(([name]) => name.startsWith('engine'));

  it('runs two engines in the cluster profile beside Redis and PostgreSQL', () => {
    expect(engines.map(([name]) => name)).toEqual(['engine-1', 'engine-2']);
    expect(Object.keys(compose.services).sort()).toEqual(['engine-1', 'engine-2', 'postgres', 'redis']);
    for (const [name, engine] of engines) {
      expect(engine.environment?.AUTOPILOT_PROFILE, name).toBe('cluster');
      expect(engine.environment?.REDIS_URL, name).toMatch(/^redis:\/\/redis:6379/);
      expect(engine.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(engine.depends_on, name).toEqual({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
    }
  });

  it('gives Redis its append-only file and no eviction', () => {
    const command = compose.services.redis?.command?.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(compose.services.redis?.volumes).toEqual(['redis-data:/data']);
  });

  it('sets only variables the engine reads and the README documents', () => {
    for (const [name, engine] of engines) {
      const variables = Object.keys(engine.environment ?? {});
      expect(variables.length).toBeGreaterThan(10);
      for (const variable of variables) expectEngineVariable(variable, name);
    }
  });

  it('publishes PORT, keeps METRICS_PORT inside, and checks readiness on PORT', () => {
    for (const [name, engine] of engines) {
      const port = engine.environment?.PORT;
      expect(port, name).toBe('8080');
      expect(engine.ports?.[0], name).toMatch(new RegExp(`^\\d+:${port}$`));
      expect(engine.expose, name).toEqual([engine.environment?.METRICS_PORT]);
      const check = engine.healthcheck?.test.join(' ') ?? '';
      expect(check, name).toContain(`http://127.0.0.1:${port}/readyz`);
    }
    expectDocumentedEndpoint('/readyz');
    expect(prose('Deployment')).toContain('ports 8081 and 8082 on the host, 8080 inside');
  });

  it('names in compose.env.example exactly what the compose file takes from it', () => {
    const example = read('deploy/compose.env.example');
    const defined = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    const used = [...read('deploy/docker-compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
    expect([...new Set(defined)].sort()).toEqual([...new Set(used)].sort());
  });
});

describe('deploy/kubernetes', () => {
  type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
  const kustomization = parse(read('deploy/kubernetes/kustomization.yaml')) as { resources: string[] };
  const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return doc.toJS() as Manifest;
    }),
  );
  const find = (kind: string, name: string) =>
    manifests.find((m) => m.kind === kind && m.metadata.name === name);

  interface Container {
    name: string;
    args?: string[];
    ports: Array<{ name: string; containerPort: number }>;
    env: Array<{ name: string; value?: string }>;
    envFrom?: Array<{ secretRef: { name: string } }>;
    livenessProbe: { httpGet: { path: string; port: string } };
    readinessProbe: { httpGet: { path: string; port: string } };
    startupProbe: { httpGet: { path: string; port: string } };
    volumeMounts: Array<{ name: string; mountPath: string }>;
  }
  const deployment = find('Deployment', 'fp-autopilot') as unknown as {
    spec: {
      replicas: number;
      template: {
        metadata: { annotations: Record<string, string> };
        spec: { containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string } }> };
      };
    };
  };
  const engine = deployment.spec.template.spec.containers[0] as Container;
  const env = Object.fromEntries(engine.env.map((e) => [e.name, e.value]));

  it('lists files that exist, and runs two engines in the cluster profile', () => {
    for (const file of kustomization.resources)
      expect(existsSync(new URL(`deploy/kubernetes/${file}`, ROOT)), file).toBe(true);
    expect(deployment.spec.replicas).toBe(2);
    expect(env.AUTOPILOT_PROFILE).toBe('cluster');
    expect(engine.args).toEqual(['serve']);
  });

  it('sets only variables the engine reads and the README documents, the rest from the Secret', () => {
    for (const name of Object.keys(env)) expectEngineVariable(name, 'engine.yaml');
    expect(engine.envFrom).toEqual([{ secretRef: { name: 'fp-autopilot' } }]);
    const example = read('deploy/kubernetes/secret.env.example');
    const keys = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1] as string);
    expect(keys).toEqual(expect.arrayContaining(['REDIS_URL', 'DATABASE_URL', 'FEISHU_PLUGIN_SECRET']));
    // POSTGRES_PASSWORD is the bundled PostgreSQL's; every other key is the engine's.
    for (const key of keys.filter((k) => k !== 'POSTGRES_PASSWORD'))
      expectEngineVariable(key, 'secret.env.example');
  });

  it('declares the ports PORT and METRICS_PORT say, and scrapes the metrics one', () => {
    const ports = Object.fromEntries(engine.ports.map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: Number(env.PORT), metrics: Number(env.METRICS_PORT) });
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(env.METRICS_PORT);
    expect(deployment.spec.template.metadata.annotations['prometheus.io/path']).toBe('/metrics');
    const services = manifests.filter(
      (m) => m.kind === 'Service' && m.metadata.name.startsWith('fp-autopilot'),
    );
    const targets = services.flatMap((s) =>
      (s.spec.ports as Array<{ targetPort: string }>).map((p) => p.targetPort),
    );
    expect(targets.sort()).toEqual(['http', 'metrics']);
  });

  it('probes liveness on /healthz and readiness on /readyz, on the http port', () => {
    expect(engine.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(engine.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(engine.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expectDocumentedEndpoint('/healthz');
    expectDocumentedEndpoint('/readyz');
    const deploymentText = prose('Deployment');
    expect(deploymentText).toContain(
      'the liveness probe is `GET /healthz`, the readiness probe `GET /readyz`',
    );
    expect(deploymentText).toContain('`http` 8080 (`PORT`) and `metrics` 9464 (`METRICS_PORT`)');
  });

  it('mounts the rules ConfigMap where AUTOPILOT_RULES points', () => {
    const rules = engine.volumeMounts.find((m) => m.name === 'rules');
    expect(rules?.mountPath).toBe(env.AUTOPILOT_RULES);
    const volume = deployment.spec.template.spec.volumes.find((v) => v.name === 'rules');
    expect(volume?.configMap?.name).toBe('fp-autopilot-rules');
    expect(prose('Deployment')).toContain('configmap fp-autopilot-rules --from-file=rules/');
  });

  it('gives the bundled Redis its append-only file', () => {
    const redis = find('StatefulSet', 'redis') as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    const args = redis.spec.template.spec.containers[0]?.args.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
  });
});

describe('the README', () => {
  it('names every deploy file', () => {
    for (const path of [
      'deploy/docker-compose.yml',
      'deploy/compose.env.example',
      'deploy/kubernetes/',
      'deploy/kubernetes/secret.env.example',
      'deploy/prometheus/alerts.yaml',
      'deploy/grafana/fp-autopilot-dashboard.json',
    ]) {
      expect(section('Deployment'), path).toContain(path);
    }
  });

  it('has a row for every alert rule', () => {
    const rules = (
      parse(read('deploy/prometheus/alerts.yaml')) as { groups: Array<{ rules: Array<{ alert: string }> }> }
    ).groups.flatMap((g) => g.rules.map((r) => r.alert));
    const documented = [...section('Deployment').matchAll(/^\| `(Autopilot[A-Za-z]+)` \|/gm)].map(
      (m) => m[1],
    );
    expect(documented).toEqual(rules);
  });
});
