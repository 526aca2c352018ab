/**
 * Feishu Project's own automation rules (自动化), as far as tests need them: "when field F of a
 * work item changes (to V, through channel C), set these fields". A rule runs after the change
 * that triggered it, as its own operator (`operator_type: auto`, the rule id as operator and
 * source), writes its own operation record and pushes its own webhook, so the engine meets a
 * real cross-system loop: it writes, the automation writes back, the engine sees a change it
 * did not make.
 */
import type { SimCore } from './http/core.ts';
import { fail } from './http/sim-error.ts';
import { Changes } from './model/changes.ts';
import { parseFieldPairs, resolvePairs } from './model/fields.ts';
import type { OpRecord } from './model/types.ts';
import { applyPairs } from './routes/work-items.ts';

export interface AutomationRule {
  /** The rule's id, as operation records name it (operator and source). @defaultValue a random 19-digit id */
  id?: string;
  name?: string;
  /** Only items of this space (project_key or simple_name). */
  project_key?: string;
  work_item_type_key?: string;
  /** The trigger: this field changed (field key). */
  on_field: string;
  /** Only when it changed to this value (as the operation record writes it: an option's value, a number as text). */
  to?: string;
  /** Only changes made through these channels (operator_type: user, plugin, auto). @defaultValue every channel but this rule itself */
  by?: string[];
  /** What the rule does: these FieldValuePairs (the update API's `update_fields`). */
  set: { field_key: string; field_value: unknown }[];
  /** How long after the change it acts. @defaultValue 0 (right after the triggering call is answered) */
  delay_ms?: number;
}

export interface AutomationRun {
  rule_id: string;
  work_item_id: number;
  /** The record that triggered it. */
  trigger_seq: number;
  at: number;
  outcome: 'applied' | 'no_change' | 'failed';
  error?: string;
}

type Registered = AutomationRule & { id: string };

export class Automations {
  private rules: Registered[] = [];
  private readonly log: AutomationRun[] = [];
  private readonly pending = new Set<Promise<void>>();

  register(rule: AutomationRule): Registered {
    const parsed = parseFieldPairs(rule.set, 'set');
    if (parsed.length === 0) throw fail(20005, 'set is required');
    if (typeof rule.on_field !== 'string' || rule.on_field === '') throw fail(20005, 'on_field is required');
    const full: Registered = { ...rule, id: rule.id ?? randomId() };
    this.rules.push(full);
    return full;
  }

  unregister(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  list(): Registered[] {
    return [...this.rules];
  }

  runs(): AutomationRun[] {
    return [...this.log];
  }

  clear(): void {
    this.rules = [];
    this.log.length = 0;
  }

  /** Resolves when every scheduled rule run is done (and the runs they triggered). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Called with the records of each applied call: schedules the rules they trigger. */
  react(core: SimCore, records: readonly OpRecord[]): void {
    for (const record of records) {
      for (const rule of this.rules.filter((r) => triggers(core, r, record))) {
        const run = new Promise<void>((resolve) =>
          setTimeout(() => {
            this.apply(core, rule, record);
            resolve();
          }, rule.delay_ms ?? 0),
        );
        this.pending.add(run);
        void run.finally(() => this.pending.delete(run));
      }
    }
  }

  private apply(core: SimCore, rule: Registered, record: OpRecord): void {
    const item = core.tenant.itemById(record.work_item_id);
    // Never in the same millisecond as the change it answers: two changes of one kind at one
    // instant would be one change to anyone reading the history.
    const now = Math.max(core.clock(), record.operation_time + 1);
    const entry: AutomationRun = {
      rule_id: rule.id,
      work_item_id: record.work_item_id,
      trigger_seq: record.seq,
      at: now,
      outcome: 'applied',
    };
    this.log.push(entry);
    if (!item || item.deleted || item.aborted.is_aborted) {
      entry.outcome = 'failed';
      entry.error = 'work item gone or aborted';
      return;
    }
    const actor = { operator: rule.id, operatorType: 'auto', sourceType: 'auto', source: rule.id };
    const changes = new Changes(core.tenant, actor, now, core.webhooks.token);
    try {
      const pairs = resolvePairs(
        core.tenant,
        item.project_key,
        item.work_item_type_key,
        parseFieldPairs(rule.set, 'set'),
      );
      const applied = applyPairs(item, pairs);
      if (applied.length === 0) entry.outcome = 'no_change';
      changes.updated(item, applied);
    } catch (error) {
      entry.outcome = 'failed';
      entry.error = (error as Error).message;
      return;
    }
    core.afterWrite();
    core.webhooks.push(changes.events);
    this.react(core, changes.records);
  }
}

function triggers(core: SimCore, rule: Registered, record: OpRecord): boolean {
  if (record.op_record_module !== 'field_mod') return false;
  if (record.source_type === 'auto' && record.source === rule.id) return false;
  if (rule.by !== undefined && !rule.by.includes(record.operator_type)) return false;
  if (rule.work_item_type_key !== undefined && rule.work_item_type_key !== record.work_item_type_key)
    return false;
  if (rule.project_key !== undefined) {
    const space = core.tenant.findSpace(rule.project_key);
    if (space?.project_key !== record.project_key) return false;
  }
  return record.record_contents.some(
    (c) =>
      c.object.object_type === 'field' &&
      c.object.object_value === rule.on_field &&
      (rule.to === undefined || c.new.includes(rule.to)),
  );
}

function randomId(): string {
  return `75${String(Date.now()).slice(-8)}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}
