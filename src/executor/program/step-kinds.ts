/**
 * The one table of step kinds: what the executor does for each step type. Anything not listed
 * is an action of the catalogue. A new kind is one entry here.
 */
import { actionStep } from './action-step.ts';
import { approveStep } from './approve-step.ts';
import { chooseStep } from './choose-step.ts';
import type { StepKind } from './context.ts';
import { DIGEST_SEND, digestSendStep } from './digest-flush.ts';
import { messageStep } from './digest-step.ts';
import { forEachStep } from './for-each-step.ts';
import { lookupStep } from './lookup-step.ts';
import { varStep } from './var-step.ts';
import { waitStep } from './wait-step.ts';

/**
 * Built on first use, not at module load: the step kinds import the runner that imports this
 * table (for_each and choose run nested steps), and whichever module loads first would otherwise
 * meet the others' exports uninitialized.
 */
let kinds: Readonly<Record<string, StepKind>> | undefined;

function table(): Readonly<Record<string, StepKind>> {
  kinds ??= {
    for_each: forEachStep,
    choose: chooseStep,
    wait: waitStep,
    wait_until: waitStep,
    approve: approveStep,
    lookup: lookupStep,
    set: varStep,
    increment: varStep,
    message: messageStep,
    [DIGEST_SEND]: digestSendStep,
  };
  return kinds;
}

export function stepKind(type: string): StepKind {
  const known = table();
  return Object.hasOwn(known, type) ? (known[type] as StepKind) : actionStep;
}
