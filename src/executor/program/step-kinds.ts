/**
 * The one table of step kinds: what the executor does for each step type. Anything not listed
 * is an action of the catalogue. A new kind (an approval: send the card, park until the timeout,
 * read `ctx.takeWake()` when it comes back) is one entry here.
 */
import { actionStep } from './action-step.ts';
import { chooseStep } from './choose-step.ts';
import type { StepKind } from './context.ts';
import { forEachStep } from './for-each-step.ts';
import { lookupStep } from './lookup-step.ts';
import { waitStep } from './wait-step.ts';

const KINDS: Readonly<Record<string, StepKind>> = {
  for_each: forEachStep,
  choose: chooseStep,
  wait: waitStep,
  wait_until: waitStep,
  lookup: lookupStep,
};

export function stepKind(type: string): StepKind {
  return Object.hasOwn(KINDS, type) ? (KINDS[type] as StepKind) : actionStep;
}
