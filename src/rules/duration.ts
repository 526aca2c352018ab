import { AutopilotError } from '../errors.ts';

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's', 'ms'];

// `ms` comes before `m` and `s` in the alternation so "500ms" is not read as "500m" + "s".
const PART = /(\d+)(ms|w|d|h|m|s)/y;

/**
 * Parses a duration such as `3d`, `90s`, `1h30m` or `250ms` into milliseconds.
 * Units: w, d, h, m, s, ms; whole numbers only, largest unit first, each unit at most once.
 * Throws AutopilotError('AP_RULE_INVALID') naming what is wrong.
 */
export function parseDuration(text: string): number {
  const input = typeof text === 'string' ? text.trim() : '';
  if (input === '') throw invalid(text, 'it is empty');
  let total = 0;
  let lastUnitRank = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const at = PART.lastIndex;
    const match = PART.exec(input);
    if (!match)
      throw invalid(text, `unexpected '${input.slice(at)}' (use whole numbers with units w, d, h, m, s, ms)`);
    const unit = match[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastUnitRank) throw invalid(text, `units must go from largest to smallest, each once`);
    lastUnitRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  if (!Number.isSafeInteger(total)) throw invalid(text, 'it is too long');
  return total;
}

function invalid(text: unknown, why: string): AutopilotError {
  return new AutopilotError(
    'AP_RULE_INVALID',
    `invalid duration '${String(text)}': ${why}, e.g. 3d, 90s, 1h30m`,
    {
      duration: text,
    },
  );
}
