import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { AutopilotError } from '../errors.ts';
import type { Config } from './config.ts';
import { CONFIG_SCHEMA } from './config-schema.ts';
import { ENV_BINDINGS, type EnvBinding } from './env-map.ts';
import { SECRET_ENV_PREFIX, SECRET_NAME } from '../rules/secret-names.ts';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a YAML config file (`--config`); `AUTOPILOT_CONFIG` otherwise. */
  file?: string;
  readFile?: (path: string) => string;
  /**
   * Whether real credentials need a webhook token beside them: the engine does, commands that
   * only read the API (backtest --from api) do not. @defaultValue true
   */
  requireWebhookTokens?: boolean;
}

const GENERIC_WEBHOOK_ENV = /^AUTOPILOT_WEBHOOK_SECRET_([A-Z0-9_]+)$/;
const MIN_RULE_SECRET_CHARS = 4;
const MIN_ADMIN_TOKEN_BYTES = 32;
const MIN_METRICS_TOKEN_BYTES = 16;

/**
 * Reads the configuration once: file, then environment (which wins), `${VAR}` substitution in
 * the file and `NAME_FILE` secrets; validates with defaults; throws one AP_CONFIG_INVALID error
 * listing every problem. The result is deeply frozen.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: string[] = [];
  const file = options.file ?? env.AUTOPILOT_CONFIG;
  const raw: Record<string, unknown> = file ? readConfigFile(file, env, readFile, problems) : {};
  applyEnvironment(raw, env, readFile, problems);
  const config = validate(raw, problems, options.requireWebhookTokens ?? true);
  if (problems.length > 0) {
    throw new AutopilotError('AP_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      problems,
    });
  }
  return deepFreeze(config as unknown as Config);
}

function readConfigFile(
  file: string,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
  problems: string[],
): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    problems.push(
      `config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    problems.push(`config file ${file}: ${(error as Error).message.split('\n')[0]}`);
    return {};
  }
  if (parsed == null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`config file ${file}: must be a mapping`);
    return {};
  }
  return substitute(parsed, env, problems, file) as Record<string, unknown>;
}

/** `${VAR}` and `${VAR:-default}` in string values of the file. */
function substitute(value: unknown, env: NodeJS.ProcessEnv, problems: string[], where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_match, name: string, fallback?: string) => {
        const found = env[name];
        if (found !== undefined) return found;
        if (fallback !== undefined) return fallback;
        problems.push(`${where}: \${${name}} is not set in the environment`);
        return '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, env, problems, where));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        problems.push(`${where}: key '${key}' is not allowed`);
        continue;
      }
      out[key] = substitute(item, env, problems, where);
    }
    return out;
  }
  return value;
}

function applyEnvironment(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
  problems: string[],
): void {
  for (const [name, binding] of Object.entries(ENV_BINDINGS)) {
    const value = readEnv(name, env, readFile, problems);
    if (value !== undefined) setPath(raw, binding.path, convert(name, value, binding, problems));
  }
  for (const name of Object.keys(env)) {
    const match = GENERIC_WEBHOOK_ENV.exec(name.replace(/_FILE$/, ''));
    if (!match?.[1] || (name.endsWith('_FILE') && env[name.replace(/_FILE$/, '')] !== undefined)) continue;
    const value = readEnv(name.replace(/_FILE$/, ''), env, readFile, problems);
    if (value === undefined) continue;
    const hookName = match[1].toLowerCase().replace(/_/g, '-');
    setPath(raw, ['webhooks', hookName, 'secrets'], splitList(value));
  }
  applyRuleSecrets(raw, env, readFile, problems);
}

/**
 * `AUTOPILOT_SECRET_<NAME>` and `AUTOPILOT_SECRET_<NAME>_FILE` become `secrets.<NAME>`. A
 * problem names the variable, never its value.
 */
function applyRuleSecrets(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
  problems: string[],
): void {
  const names = new Set<string>();
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith(SECRET_ENV_PREFIX)) continue;
    const suffix = variable.slice(SECRET_ENV_PREFIX.length);
    // AUTOPILOT_SECRET_X_FILE is the file of X, as for every other variable.
    names.add(suffix.length > '_FILE'.length && suffix.endsWith('_FILE') ? suffix.slice(0, -5) : suffix);
  }
  for (const name of [...names].sort()) {
    const variable = `${SECRET_ENV_PREFIX}${name}`;
    if (!SECRET_NAME.test(name)) {
      problems.push(
        `${variable}: a secret's name is upper-case letters, digits and _, starting with a letter (at most 64)`,
      );
      continue;
    }
    const value = readEnv(variable, env, readFile, problems);
    if (value === undefined) continue;
    if (value.length < MIN_RULE_SECRET_CHARS) {
      problems.push(`${variable}: a secret must be at least ${MIN_RULE_SECRET_CHARS} characters`);
      continue;
    }
    setPath(raw, ['secrets', name], value);
  }
}

function readEnv(
  name: string,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
  problems: string[],
): string | undefined {
  const direct = env[name];
  const filePath = env[`${name}_FILE`];
  if (direct !== undefined && filePath !== undefined) {
    problems.push(`${name} and ${name}_FILE are both set; set one`);
    return undefined;
  }
  if (filePath === undefined) return direct === '' ? undefined : direct;
  try {
    return readFile(filePath).trim();
  } catch (error) {
    problems.push(
      `${name}_FILE: cannot read ${filePath} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
    return undefined;
  }
}

function convert(name: string, value: string, binding: EnvBinding, problems: string[]): unknown {
  if (binding.kind === 'list') return splitList(value);
  if (binding.kind === 'int') {
    if (!/^\d+$/.test(value.trim())) {
      problems.push(`${name} must be a whole number, got '${value}'`);
      return undefined;
    }
    return Number(value);
  }
  return value;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  if (value === undefined) return;
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!next || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

function validate(
  raw: Record<string, unknown>,
  problems: string[],
  requireWebhookTokens: boolean,
): Record<string, unknown> {
  if (!validateSchema(raw)) {
    for (const error of validateSchema.errors ?? []) {
      const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'config';
      const extra =
        error.keyword === 'additionalProperties'
          ? ` '${(error.params as { additionalProperty: string }).additionalProperty}'`
          : error.keyword === 'enum'
            ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
            : error.propertyName !== undefined
              ? ` ('${error.propertyName}')`
              : '';
      problems.push(`${where}: ${error.message ?? 'invalid'}${extra}`);
    }
  }
  const adminToken = raw.adminToken;
  if (typeof adminToken === 'string' && Buffer.byteLength(adminToken) < MIN_ADMIN_TOKEN_BYTES) {
    problems.push(`adminToken (AUTOPILOT_ADMIN_TOKEN) must be at least ${MIN_ADMIN_TOKEN_BYTES} bytes`);
  }
  const metrics = (raw.metrics ?? {}) as Record<string, unknown>;
  if (typeof metrics.token === 'string' && Buffer.byteLength(metrics.token) < MIN_METRICS_TOKEN_BYTES) {
    problems.push(
      `metrics.token (AUTOPILOT_METRICS_TOKEN) must be at least ${MIN_METRICS_TOKEN_BYTES} bytes`,
    );
  }
  if (typeof metrics.port === 'number' && metrics.port !== 0 && metrics.port === raw.port) {
    problems.push('metrics.port (METRICS_PORT) must differ from port (PORT)');
  }
  const tracing = (raw.tracing ?? {}) as { headers?: unknown };
  for (const pair of Array.isArray(tracing.headers) ? tracing.headers : []) {
    if (typeof pair === 'string' && !decodes(pair)) {
      problems.push(
        `tracing.headers (OTEL_EXPORTER_OTLP_HEADERS): '${pair.split('=')[0]}' is not URL-encoded correctly`,
      );
    }
  }
  const feishu = (raw.feishu ?? {}) as Record<string, unknown>;
  const credentials = ['pluginId', 'pluginSecret', 'userKey'].filter((key) => feishu[key] !== undefined);
  if (credentials.length > 0 && credentials.length < 3) {
    problems.push(
      'feishu: pluginId, pluginSecret and userKey go together (FEISHU_PLUGIN_ID, _SECRET, _USER_KEY)',
    );
  }
  const noTokens = (feishu.webhookTokens as unknown[] | undefined)?.length === 0;
  if (requireWebhookTokens && credentials.length === 3 && noTokens) {
    problems.push('feishu.webhookTokens (FEISHU_WEBHOOK_TOKEN) is required with real credentials');
  }
  const server = (raw.server ?? {}) as Record<string, unknown>;
  if (
    typeof server.headersTimeoutMs === 'number' &&
    typeof server.requestTimeoutMs === 'number' &&
    server.headersTimeoutMs > server.requestTimeoutMs
  ) {
    problems.push('server.headersTimeoutMs must not exceed server.requestTimeoutMs');
  }
  if (raw.profile === 'cluster') {
    const cluster = (raw.cluster ?? {}) as Record<string, unknown>;
    if (!cluster.redisUrl) problems.push('profile cluster needs cluster.redisUrl (REDIS_URL)');
    if (!cluster.databaseUrl) problems.push('profile cluster needs cluster.databaseUrl (DATABASE_URL)');
  }
  return raw;
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** Whether the engine has real Feishu credentials, or should start the built-in simulator. */
export function usesSimulator(config: Config): boolean {
  return !(config.feishu.pluginId && config.feishu.pluginSecret && config.feishu.userKey);
}

/** Every secret value in the configuration, for redaction of logs and answers. */
export function configSecrets(config: Config): string[] {
  const values = [
    config.feishu.pluginSecret,
    ...config.feishu.webhookTokens,
    config.adminToken,
    config.metrics.token,
    // A collector's API key travels in a header value.
    ...config.tracing.headers.map((pair) => pair.slice(pair.indexOf('=') + 1)),
    config.lark.appSecret,
    config.lark.verificationToken,
    config.lark.encryptKey,
    config.cluster.redisUrl,
    config.cluster.databaseUrl,
    ...Object.values(config.webhooks).flatMap((hook) => hook.secrets),
    ...Object.values(config.secrets),
  ];
  return values.filter((value): value is string => typeof value === 'string' && value.length >= 4);
}
