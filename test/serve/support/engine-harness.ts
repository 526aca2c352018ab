/**
 * The engine started the way `autopilot serve` starts it: configuration from environment
 * variables only, a temp data dir, port 0, logs captured as parsed JSON lines.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configSecrets, loadConfig } from '../../../src/config/load-config.ts';
import { startEngine, type RunningEngine } from '../../../src/engine/start-engine.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { tracesUrl } from '../../../src/ops/tracing.ts';
import type { ApiCaller } from '../../../src/openapi/types.ts';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface TestEngine {
  engine: RunningEngine;
  url: string;
  dir: string;
  rulesDir: string;
  /** Every log line so far, parsed. */
  logs: LogLine[];
  /** The raw text of every log line, to search for leaked secrets. */
  rawLogs: string[];
  close(): Promise<void>;
}

export interface EngineSetup {
  /** Extra environment variables (PORT, AUTOPILOT_DATA and AUTOPILOT_RULES are set here). */
  env?: Record<string, string>;
  /** Rule files written into a fresh rules dir, by file name. */
  rules?: Record<string, string>;
  /** Leave the admin API off. */
  noAdmin?: boolean;
  /** A YAML config file, passed as AUTOPILOT_CONFIG (for settings without an environment variable). */
  configYaml?: string;
  /** The `http` action's caller (tests point it at a local listener). */
  httpCaller?: ApiCaller;
}

export function captureLogs(): { stream: Writable; logs: LogLine[]; raw: string[] } {
  const logs: LogLine[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        logs.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  return { stream, logs, raw };
}

export async function startTestEngine(setup: EngineSetup = {}): Promise<TestEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-serve-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(setup.rules ?? {})) writeFileSync(join(rulesDir, name), text);
  const configFile = join(dir, 'autopilot.yaml');
  if (setup.configYaml !== undefined) writeFileSync(configFile, setup.configYaml);
  const config = loadConfig({
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      AUTOPILOT_DATA: join(dir, 'data'),
      AUTOPILOT_RULES: rulesDir,
      LOG_LEVEL: 'info',
      ...(setup.noAdmin ? {} : { AUTOPILOT_ADMIN_TOKEN: ADMIN_TOKEN }),
      ...(setup.configYaml === undefined ? {} : { AUTOPILOT_CONFIG: configFile }),
      ...setup.env,
    },
  });
  const { stream, logs, raw } = captureLogs();
  const log = createLogger({
    level: config.logLevel,
    secrets: configSecrets(config),
    destination: stream,
    traceIds: tracesUrl(config.tracing) !== undefined,
  });
  const engine = await startEngine({
    config,
    log,
    ...(setup.httpCaller ? { httpCaller: setup.httpCaller } : {}),
  });
  return {
    engine,
    url: engine.url,
    dir,
    rulesDir,
    logs,
    rawLogs: raw,
    async close() {
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for a condition that an asynchronous part of the engine makes true (no fixed sleeps). */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
