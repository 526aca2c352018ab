/**
 * A time written out in a rule (`wait_until`): epoch ms as digits or an ISO-8601 time. One reading
 * for `autopilot check` and for the wait step, so that check refuses exactly what the run would.
 */
export function parseLiteralTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}
