import { resolveDeferred } from '../actions/catalogue.ts';
import { AutopilotError } from '../errors.ts';
import type { ActionResolver } from '../executor/ports.ts';
import type { PeopleDirectory } from '../people/people-directory.ts';
import type { EventLog } from '../store/ports.ts';
import { referencesRoot, renderParams } from '../templates/render.ts';

/**
 * The executor's resolver: calls planned ahead are used as they are; otherwise the params'
 * `{{steps.*}}` are rendered with the results of earlier actions (everything else was rendered
 * at planning time) and the action catalogue performs the reads it needs (a transition id, the
 * current owners) through the executor's limited `read`.
 */
export interface ResolverExtras {
  /** Who user keys are, for messages to people and @mentions. */
  people?: PeopleDirectory;
  /** Feishu Project's web address, for links to work items in cards. */
  projectUrl?: string;
  /** Lark sends already answered (a retried message skips those recipients). */
  sent?: { has(uuid: string): boolean };
}

export function createActionResolver(events: EventLog, extras: ResolverExtras = {}): ActionResolver {
  return async (action, { run, steps, read }) => {
    if (action.calls && !referencesRoot(action.params, ['steps'])) return action.calls;
    const stored = await events.get(run.eventId);
    if (!stored) {
      throw new AutopilotError(
        'AP_INTERNAL',
        `event ${run.eventId} of run ${run.id} is no longer in the event log`,
      );
    }
    const params = renderParams(action.params, { steps });
    const ctx = { event: stored.event, idempotencyKey: action.idempotencyKey, ...extras };
    return resolveDeferred({ type: action.type, params }, ctx, read);
  };
}
