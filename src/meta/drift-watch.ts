/**
 * Drift watch: the running engine checks its loaded rules against the tenant's metadata, as
 * `autopilot check --live` does, every `drift.intervalMs`, after each rule reload, and when an
 * event of a `drift.refreshOn` type arrives (a webhook saying the space changed). Only the
 * leader reads the metadata; it keeps the verdict in the shared state store, where the other
 * processes read it. A rule that stops fitting (an option renamed, a state removed) runs in
 * shadow mode (`drift.action: shadow`, the default) or keeps running with a warning (`warn`),
 * with an audit record, a metric, a log line per problem naming file, line and column, and a
 * message to the operations chat when `drift.opsChat` is set; it runs live again once it fits.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { ReadData } from '../engine/work-item-loader.ts';
import { isAutopilotError } from '../errors.ts';
import type { RuleDiagnostic } from '../rules/diagnostic.ts';
import type { Rule } from '../rules/rule.ts';
import type { AuditRecord, AuditStore, StateStore } from '../store/ports.ts';
import { problemsByRule, referencesOf, wantedBy } from './live-check.ts';
import { readTenantMeta } from './read-meta.ts';
import { emptyMeta } from './space-meta.ts';

/** Where the leader keeps the verdict (state store), and where a follower asks for a new one. */
export const DRIFT_STATE_KEY = 'meta-drift';
export const DRIFT_REQUEST_KEY = 'meta-drift:requested';
/** How often followers read the verdict and the leader looks for a requested check. */
const FOLLOW_MS = 10_000;

export type DriftProblem = Pick<RuleDiagnostic, 'file' | 'line' | 'column' | 'code' | 'message'>;

export interface DriftEntry {
  /** When the rule was first found not to fit (epoch ms). */
  since: number;
  problems: DriftProblem[];
  /**
   * The rule fitted the space in this version before (it stopped fitting): only then does
   * `drift.action` apply. A rule that never fitted since it was written is warned about and
   * keeps its mode, so its errors stay the dead letters they would be.
   */
  stopped?: boolean;
}

export interface DriftState {
  checkedAt: number;
  /** By rule id: the rules that do not fit. */
  rules: Record<string, DriftEntry>;
  /** By rule id: the version of the rule last seen fitting. */
  fitted?: Record<string, string>;
}

interface RuleSet<Index> {
  rules: readonly Rule[];
  byId: ReadonlyMap<string, Rule>;
  index: Index;
}

export interface DriftWatchDeps<Index> {
  settings: Readonly<Config['drift']>;
  /** The loaded rule set (the registry's current snapshot). */
  rules: () => RuleSet<Index>;
  buildIndex: (rules: readonly Rule[]) => Index;
  read: ReadData;
  state: StateStore;
  audit: AuditStore;
  isLeader: () => boolean;
  log: Logger;
  /** Sets the number of loaded rules that do not fit (`autopilot_rules_drifted`). */
  drifted: (count: number) => void;
  /** Posts a text to the operations chat; absent when none is configured. */
  notify?: (text: string, uuid: string) => Promise<void>;
  now: () => number;
}

export interface DriftWatch<Index> {
  /** The rule set matching uses: drifted live rules in shadow mode (with `action: shadow`). */
  current(): RuleSet<Index>;
  /** The rules that do not fit, by id. */
  drifted(): ReadonlyMap<string, DriftEntry>;
  /** Leader: read the metadata and check now; follower: read the leader's verdict. */
  refresh(): Promise<void>;
  /** A check soon: at once on the leader, at the leader's next look from a follower. */
  requestRefresh(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createDriftWatch<Index>(deps: DriftWatchDeps<Index>): DriftWatch<Index> {
  const { settings, log, now } = deps;
  let drifted = new Map<string, DriftEntry>();
  let fitted: Record<string, string> = {};
  let restored = false;
  let version = 0;
  let lastCheck = 0;
  let view: { of: RuleSet<Index>; version: number; set: RuleSet<Index> } | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  function apply(next: Map<string, DriftEntry>): void {
    drifted = next;
    version++;
    const loaded = deps.rules().byId;
    deps.drifted([...next.keys()].filter((id) => loaded.has(id)).length);
  }

  /** The verdict kept before (by this process or the last leader): no rule is announced twice. */
  async function restore(): Promise<void> {
    if (restored) return;
    const saved = await deps.state.get<DriftState>(DRIFT_STATE_KEY);
    restored = true;
    fitted = { ...saved?.fitted };
    if (saved && drifted.size === 0) apply(new Map(Object.entries(saved.rules)));
  }

  async function check(): Promise<void> {
    await restore();
    const set = deps.rules();
    const rules = set.rules.filter((r) => r.enabled);
    const references = referencesOf(rules);
    const checkedAt = now();
    const meta = await readTenantMeta(deps.read, wantedBy(references), emptyMeta('api', checkedAt));
    const found = problemsByRule(references, meta);
    const next = new Map<string, DriftEntry>();
    const records: AuditRecord[] = [];
    const notices: Array<{ text: string; uuid: string }> = [];
    for (const [ruleId, diagnostics] of found) {
      const problems = diagnostics.map(({ file, line, column, code, message }) => ({
        file,
        line,
        column,
        code,
        message,
      }));
      const before = drifted.get(ruleId);
      const rule = set.byId.get(ruleId) as Rule;
      // Edited since it last fitted: this version never did.
      const stopped = fitted[ruleId] === rule.version;
      const entry: DriftEntry = {
        since: before?.since ?? checkedAt,
        problems,
        ...(stopped ? { stopped } : {}),
      };
      next.set(ruleId, entry);
      if (before && sameProblems(before.problems, problems)) continue;
      const becomes = rule.mode !== 'live' ? 'shadow' : stopped ? settings.action : 'warn';
      const verdict = !stopped
        ? 'does not fit the space (it has not since it was written): it keeps its mode'
        : `${before ? 'still does not fit' : 'no longer fits'} the space${becomes === 'shadow' && rule.mode === 'live' ? ', switched to shadow mode' : ''}`;
      for (const p of problems)
        log.warn(
          { ruleId, code: p.code, file: p.file, line: p.line, column: p.column, action: becomes },
          `${p.file}:${p.line}:${p.column}: ${p.message}: rule ${ruleId} ${verdict}`,
        );
      if (before) continue;
      records.push({ at: checkedAt, kind: 'rule.drifted', ruleId, detail: { action: becomes, problems } });
      notices.push({
        text: driftText(ruleId, problems, becomes, rule.mode, stopped),
        uuid: noticeId('drifted', ruleId, entry.since),
      });
    }
    for (const [ruleId, entry] of drifted) {
      if (next.has(ruleId) || !set.byId.has(ruleId)) continue;
      log.info({ ruleId }, `rule ${ruleId} fits the space again: back to its own mode`);
      records.push({ at: checkedAt, kind: 'rule.fits', ruleId, detail: { since: entry.since } });
      notices.push({
        text: `规则 ${ruleId} 与空间重新一致，恢复运行。\nRule ${ruleId} fits the space again: back to ${set.byId.get(ruleId)?.mode ?? 'live'} mode.`,
        uuid: noticeId('fits', ruleId, checkedAt),
      });
    }
    // The versions seen fitting, of the loaded rules only (a removed rule's entry goes with it).
    const fittedNow: Record<string, string> = {};
    for (const rule of rules) {
      if (!found.has(rule.id)) fittedNow[rule.id] = rule.version;
      else if (fitted[rule.id] !== undefined) fittedNow[rule.id] = fitted[rule.id] as string;
    }
    fitted = fittedNow;
    const saved: DriftState = { checkedAt, rules: Object.fromEntries(next), fitted };
    await deps.state.set(DRIFT_STATE_KEY, saved);
    lastCheck = checkedAt;
    apply(next);
    if (records.length > 0) await deps.audit.record(records);
    for (const notice of notices) await tell(notice);
  }

  async function tell(notice: { text: string; uuid: string }): Promise<void> {
    if (!deps.notify) return;
    try {
      await deps.notify(notice.text, notice.uuid);
    } catch (error) {
      log.warn({ err: error, code: errorCodeOf(error) }, 'drift watch: the operations chat was not told');
    }
  }

  async function follow(): Promise<void> {
    const saved = await deps.state.get<DriftState>(DRIFT_STATE_KEY);
    restored = true;
    const next = new Map(Object.entries(saved?.rules ?? {}));
    if (!sameEntries(drifted, next)) apply(next);
  }

  async function tick(): Promise<void> {
    if (!deps.isLeader()) return follow();
    const requested = (await deps.state.get<number>(DRIFT_REQUEST_KEY)) ?? 0;
    if (requested > lastCheck || now() - lastCheck >= settings.intervalMs) return check();
  }

  function run(work: () => Promise<void>): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = work()
      .catch((error: unknown) => {
        // The rules keep the modes they have: a tenant that cannot be read says nothing new.
        log.warn(
          { err: error, code: errorCodeOf(error) },
          'drift watch: the metadata could not be read; the rules keep their modes',
        );
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void run(() => (deps.isLeader() ? check() : follow()));
        }
      });
    return running;
  }

  return {
    current() {
      const set = deps.rules();
      if (settings.action !== 'shadow' || drifted.size === 0) return set;
      if (view?.of === set && view.version === version) return view.set;
      const rules = set.rules.map((rule) =>
        rule.mode === 'live' && drifted.get(rule.id)?.stopped === true
          ? { ...rule, mode: 'shadow' as const }
          : rule,
      );
      const shadowed = { rules, byId: new Map(rules.map((r) => [r.id, r])), index: deps.buildIndex(rules) };
      view = { of: set, version, set: shadowed };
      return shadowed;
    },
    drifted: () => drifted,
    async refresh() {
      // A check already under way may have read the metadata before the caller's change.
      while (running) await running;
      return run(() => (deps.isLeader() ? check() : follow()));
    },
    requestRefresh() {
      if (!settings.enabled) return;
      if (deps.isLeader()) void run(check);
      else
        void deps.state.set(DRIFT_REQUEST_KEY, now()).catch((error: unknown) => {
          log.warn({ err: error, code: errorCodeOf(error) }, 'drift watch: the check was not requested');
        });
    },
    start() {
      if (!settings.enabled || timer) return;
      void run(() => (deps.isLeader() ? check() : follow()));
      timer = setInterval(() => void run(tick), Math.min(FOLLOW_MS, settings.intervalMs));
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

function errorCodeOf(error: unknown): string | undefined {
  return isAutopilotError(error) ? error.code : undefined;
}

function driftText(
  ruleId: string,
  problems: DriftProblem[],
  becomes: string,
  mode: string,
  stopped: boolean,
): string {
  const what =
    becomes === 'shadow' && mode === 'live'
      ? [
          '已切换为影子模式（只记录计划，不调用 API）',
          'switched to shadow mode (plans recorded, no API calls)',
        ]
      : ['仍按原模式运行', `still running in ${mode} mode`];
  const lines = problems.slice(0, 10).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
  const more = problems.length > 10 ? [`… +${problems.length - 10}`] : [];
  return [
    stopped ? `规则 ${ruleId} 与空间不再一致，${what[0]}。` : `规则 ${ruleId} 与空间不一致，${what[0]}。`,
    stopped
      ? `Rule ${ruleId} no longer fits the space: ${what[1]}.`
      : `Rule ${ruleId} does not fit the space: ${what[1]}.`,
    ...lines,
    ...more,
  ].join('\n');
}

/** Lark's message uuid (≤ 50 characters): a notice repeated by a retry posts once. */
function noticeId(kind: string, ruleId: string, at: number): string {
  return `drift-${createHash('sha256').update(`${kind}\u0000${ruleId}\u0000${at}`).digest('hex').slice(0, 40)}`;
}

function sameProblems(a: readonly DriftProblem[], b: readonly DriftProblem[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameEntries(a: ReadonlyMap<string, DriftEntry>, b: ReadonlyMap<string, DriftEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, entry] of a) {
    const other = b.get(id);
    if (!other || other.since !== entry.since || !sameProblems(entry.problems, other.problems)) return false;
  }
  return true;
}
