/** Test helpers: a simulator on port 0 with a hand-driven clock, and a tiny API caller. */
import { startSimulator, type RunningSimulator, type StartOptions } from '../../src/simulator/index.ts';

export const T0 = 1_763_000_000_000;

export interface TestClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function testClock(start = T0): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export interface Answer {
  status: number;
  text: string;
  /** Parsed JSON (numbers as doubles; use `text` to check big ids). */
  json: Record<string, unknown> & { err_code?: number; err?: { msg?: string }; data?: unknown };
}

export interface Api {
  sim: RunningSimulator;
  clock: TestClock;
  token: string;
  /** Call with the plugin token and the bot user unless headers say otherwise. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string | undefined>,
  ): Promise<Answer>;
  raw(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Answer>;
}

export async function startApi(options: StartOptions = {}): Promise<Api> {
  const clock = testClock();
  // Chaos starts after the helper has its token, so every test begins with a working client.
  const { chaos, ...rest } = options;
  const sim = await startSimulator({ clock, webhookRetryDelayMs: 1, ...rest });
  const raw = async (
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ) => {
    const response = await fetch(`${sim.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let json: Answer['json'];
    try {
      json = JSON.parse(text) as Answer['json'];
    } catch {
      json = {};
    }
    return { status: response.status, text, json };
  };
  const tokenAnswer = await raw(
    'POST',
    '/open_api/authen/plugin_token',
    JSON.stringify({ plugin_id: sim.credentials.pluginId, plugin_secret: sim.credentials.pluginSecret }),
    { 'content-type': 'application/json' },
  );
  const token = (tokenAnswer.json.data as { token: string }).token;
  if (chaos) sim.setChaos(chaos);
  const api: Api = {
    sim,
    clock,
    token,
    raw,
    call: (method, path, body, headers = {}) => {
      const merged: Record<string, string> = {
        'content-type': 'application/json',
        'x-plugin-token': token,
        'x-user-key': sim.credentials.userKey,
      };
      for (const [k, v] of Object.entries(headers)) {
        if (v === undefined) delete merged[k];
        else merged[k] = v;
      }
      return raw(method, path, body === undefined ? undefined : JSON.stringify(body), merged);
    },
  };
  return api;
}

export const STORY = 6437110001; // Checkout redesign, at node `doing`, one open subtask there
export const STORY_AT_START = 6437110002; // Dark mode
export const STORY_AT_TESTING = 6437110003; // Search v2
export const ISSUE_OPEN = 6437110004; // Crash on login, linked to STORY
export const ISSUE_IN_PROGRESS = 6437110005; // Typo on pricing page
export const REMOTE_STORY = 6437110006; // Payments API in the `platform` space
export const PK = '66a1b2c3d4e5f60718293a4b';

export function errCode(answer: Answer): number | undefined {
  return answer.json.err_code;
}
