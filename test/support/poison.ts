/** Poison for the poison-event tests and the reliability scenario. */
import type { Event } from '../../src/events/event.ts';

/**
 * A chat command whose `command` is a string, not the object this engine builds: processing it
 * throws every time, as a body stored by an older engine (or by a bug) would.
 */
export function poisonEvent(id: string): Event {
  return { id, source: 'chat', type: 'chat.command', occurredAt: 1, command: 'x' as never, payload: {} };
}
