/**
 * What a person marker becomes once the person is known: their display name, or an @mention in
 * the markup of where it lands — Lark text messages (`<at user_id="union id">Name</at>`), Lark
 * card markdown (`<at email=…></at>`), or plain text elsewhere (`@Name`, e.g. a Feishu Project
 * comment). A person without the id the markup needs is mentioned by name. Pure.
 */
import { AutopilotError } from '../errors.ts';
import { replacePersonMarkers, type PersonFormat } from '../templates/person-markers.ts';
import type { Person } from './person.ts';

export type MarkupStyle = 'text' | 'card' | 'plain';

export function renderPerson(person: Person, format: PersonFormat, style: MarkupStyle): string {
  if (format === 'name') return person.name;
  if (style === 'text' && person.outId) return `<at user_id="${person.outId}">${person.name}</at>`;
  if (style === 'card' && person.email) return `<at email=${person.email}></at>`;
  return `@${person.name}`;
}

export function unknownUser(key: string): AutopilotError {
  return new AutopilotError(
    'AP_USER_NOT_FOUND',
    `no Feishu Project user ${key} (user/query does not know this key)`,
    {
      userKey: key,
    },
  );
}

/** The markers in `text` replaced, each person taken from `people` (all must be there). */
export function renderPeople(text: string, people: ReadonlyMap<string, Person>, style: MarkupStyle): string {
  return replacePersonMarkers(text, (format, key) => {
    const person = people.get(key);
    if (!person) throw unknownUser(key);
    return renderPerson(person, format, style);
  });
}

/**
 * Every string of a card with its markers replaced: card markup in markdown (`lark_md` texts,
 * `markdown` elements), plain names elsewhere (titles, button texts render no markup).
 */
export function renderPeopleInCard<T>(card: T, people: ReadonlyMap<string, Person>): T {
  const walk = (value: unknown, markdown: boolean): unknown => {
    if (typeof value === 'string') return renderPeople(value, people, markdown ? 'card' : 'plain');
    if (Array.isArray(value)) return value.map((v) => walk(v, false));
    if (value !== null && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      const isMarkdown = obj.tag === 'lark_md' || obj.tag === 'markdown';
      return Object.fromEntries(
        Object.entries(obj).map(([k, v]) => [k, walk(v, isMarkdown && k === 'content')]),
      );
    }
    return value;
  };
  return walk(card, false) as T;
}

/** Every string inside a value with markers replaced as plain text (names, `@Name`). */
export function renderPeopleDeep<T>(
  value: T,
  people: ReadonlyMap<string, Person>,
  style: MarkupStyle = 'plain',
): T {
  if (typeof value === 'string') return renderPeople(value, people, style) as T;
  if (Array.isArray(value)) return value.map((v) => renderPeopleDeep(v, people, style)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderPeopleDeep(v, people, style)]),
    ) as T;
  }
  return value;
}
