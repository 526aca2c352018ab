/**
 * The executor's resolver, with person markers resolved: after an action's calls are built,
 * the `name` / `mention` markers their templates left are replaced once the people are looked
 * up (one user/query for all of them, through the action's own read). Lark text and cards get
 * real @mention markup; everything else (a Feishu Project comment) gets the name. A user key
 * Feishu Project does not know ends the action with AP_USER_NOT_FOUND.
 */
import type { ActionResolver } from '../executor/ports.ts';
import type { ApiCall } from '../plan/run.ts';
import { markedKeysIn } from '../templates/person-markers.ts';
import type { PeopleDirectory } from './people-directory.ts';
import type { Person } from './person.ts';
import { renderPeopleDeep, renderPeopleInCard, unknownUser } from './person-markup.ts';

export function withPeople(inner: ActionResolver, people: PeopleDirectory): ActionResolver {
  return async (action, ctx) => {
    const calls = await inner(action, ctx);
    const keys = markedKeysIn(calls);
    if (keys.size === 0) return calls;
    const found = await people.find('user_keys', [...keys], ctx.read);
    for (const key of keys) if (!found.has(key)) throw unknownUser(key);
    return calls.map((call) => renderCall(call, found));
  };
}

function renderCall(call: ApiCall, people: ReadonlyMap<string, Person>): ApiCall {
  const body = call.body as { content?: unknown; msg_type?: unknown } | undefined;
  if (call.operation.startsWith('lark.') && typeof body?.content === 'string') {
    const content: unknown = JSON.parse(body.content);
    const rendered =
      body.msg_type === 'interactive'
        ? renderPeopleInCard(content, people)
        : renderPeopleDeep(content, people, 'text');
    return { ...call, body: { ...body, content: JSON.stringify(rendered) } };
  }
  return renderPeopleDeep(call, people, 'plain');
}
