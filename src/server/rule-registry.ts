import { existsSync, watch, type FSWatcher } from 'node:fs';
import type { Rule } from '../rules/rule.ts';

import type { RuleDiagnostic as Diagnostic } from '../rules/diagnostic.ts';

const HISTORY = 10;

export interface RuleSnapshot<Index> {
  rules: readonly Rule[];
  byId: ReadonlyMap<string, Rule>;
  index: Index;
  loadedAt: number;
}

export interface ReloadOutcome {
  ok: boolean;
  rules: number;
  diagnostics: Diagnostic[];
  at: number;
}

export interface RuleRegistryDeps<Index> {
  dir: string;
  load: (dir: string) => Promise<{ rules: Rule[]; diagnostics: Diagnostic[] }>;
  buildIndex: (rules: readonly Rule[]) => Index;
  now: () => number;
  onReload?: (outcome: ReloadOutcome) => void;
}

/**
 * Holds the running rule set. A reload builds a complete new snapshot and swaps it in one
 * assignment, so a match never sees half of an old set and half of a new one; a set with any
 * error is refused and the old one keeps running.
 */
export class RuleRegistry<Index> {
  readonly #deps: RuleRegistryDeps<Index>;
  #snapshot: RuleSnapshot<Index>;
  #lastOutcome: ReloadOutcome | undefined;
  #history: ReloadOutcome[] = [];
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #reloading: Promise<ReloadOutcome> | undefined;
  #again = false;

  constructor(deps: RuleRegistryDeps<Index>) {
    this.#deps = deps;
    // Until a valid set loads, the engine runs with no rules rather than not at all.
    this.#snapshot = { rules: [], byId: new Map(), index: deps.buildIndex([]), loadedAt: deps.now() };
  }

  get current(): RuleSnapshot<Index> {
    return this.#snapshot;
  }

  get lastOutcome(): ReloadOutcome | undefined {
    return this.#lastOutcome;
  }

  /** The last reloads of this process, newest first (the dashboard's overview). */
  get history(): readonly ReloadOutcome[] {
    return this.#history;
  }

  /** Reloads now; concurrent calls share one reload, and a call during a reload schedules one more. */
  reload(): Promise<ReloadOutcome> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce().finally(() => {
      this.#reloading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    // Reloads started by the watcher are awaited by no one: a loader that throws (a bug, an
    // unreadable dir) is a refused set, never a rejection that would end the process.
    const { rules, diagnostics } = await this.#deps.load(this.#deps.dir).catch((error: unknown) => ({
      rules: [] as Rule[],
      diagnostics: [
        {
          file: this.#deps.dir,
          line: 1,
          column: 1,
          code: 'AP_RULE_FILE' as const,
          message: `rules could not be loaded: ${(error as Error)?.message ?? String(error)}`,
        },
      ],
    }));
    const at = this.#deps.now();
    const ok = diagnostics.length === 0;
    if (ok) {
      this.#snapshot = {
        rules,
        byId: new Map(rules.map((rule) => [rule.id, rule])),
        index: this.#deps.buildIndex(rules),
        loadedAt: at,
      };
    }
    const outcome = { ok, rules: this.#snapshot.rules.length, diagnostics, at };
    this.#lastOutcome = outcome;
    this.#history = [outcome, ...this.#history].slice(0, HISTORY);
    this.#deps.onReload?.(outcome);
    return outcome;
  }

  /**
   * Watches the rules dir; bursts of changes (an editor saving, a git checkout) reload once. A
   * dir that does not exist (yet: a volume mounted late) or that a watch lost is looked for
   * every `retryMs`, and loaded when it appears.
   */
  watch(debounceMs = 200, retryMs = 1_000): void {
    if (this.#watcher || this.#closed) return;
    if (!existsSync(this.#deps.dir)) {
      this.#retry = setTimeout(() => {
        if (existsSync(this.#deps.dir)) void this.reload();
        this.watch(debounceMs, retryMs);
      }, retryMs);
      this.#retry.unref();
      return;
    }
    // Recursive: rule files are loaded from subdirectories too.
    this.#watcher = watch(this.#deps.dir, { persistent: false, recursive: true }, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.reload(), debounceMs);
    });
    this.#watcher.on('error', () => {
      this.#watcher?.close();
      this.#watcher = undefined;
      this.watch(debounceMs, retryMs);
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
