/**
 * What Lark accepts as an interactive card before it renders one: a JSON object with a body
 * (`elements`, `i18n_elements`, or a schema 2.0 `body.elements`) whose elements each have a
 * `tag`, at most 30 KB. Rendering details are Lark's business; the fake refuses what Lark
 * would refuse outright (230099, "Failed to create card content").
 */
export function cardProblem(card: unknown): string | undefined {
  if (typeof card !== 'object' || card === null || Array.isArray(card))
    return 'the card is not a JSON object';
  const c = card as Record<string, unknown>;
  const body = c.schema === '2.0' ? (c.body as Record<string, unknown> | undefined)?.elements : c.elements;
  const i18n = c.i18n_elements;
  const lists = Array.isArray(body)
    ? [body]
    : i18n && typeof i18n === 'object'
      ? Object.values(i18n as object)
      : undefined;
  if (!lists || lists.length === 0) return 'the card has no elements';
  for (const list of lists) {
    if (!Array.isArray(list)) return 'i18n_elements must map languages to element lists';
    const bad = list.findIndex((e) => typeof (e as { tag?: unknown } | null)?.tag !== 'string');
    if (bad >= 0) return `element ${bad} has no tag`;
  }
  return undefined;
}

/** Whether a card is shared (`config.update_multi: true`): only those can be updated for everyone. */
export function isSharedCard(card: unknown): boolean {
  const config = (card as { config?: { update_multi?: unknown } } | null)?.config;
  return config?.update_multi === true;
}

/** Every element of a card, depth first, for finding its buttons. */
export function cardElements(card: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const obj = value as Record<string, unknown>;
      if (typeof obj.tag === 'string') out.push(obj);
      for (const [key, child] of Object.entries(obj)) if (key !== 'value') walk(child);
    }
  };
  walk(card);
  return out;
}
