/**
 * Where a recorded change came from, from its operator_type and channel (source_type/source).
 * The engine's own changes are the ones made as its user (and through its plugin, when the
 * record names one): a plugin acting as another user, or another plugin, is a plugin.
 */
import type { Origin } from '../events/event.ts';
import type { OpRecord } from './op-record.ts';

/** Who the engine is, to tell its own changes apart. */
export interface EngineIdentity {
  /** The X-USER-KEY the engine acts as. */
  userKey?: string;
  pluginId?: string;
}

export function originOfRecord(record: OpRecord, engine: EngineIdentity): Origin {
  const { operator, operator_type: type, source_type: sourceType, source } = record;
  const via = 'op_record' as const;
  const ours =
    engine.userKey !== undefined &&
    operator === engine.userKey &&
    (sourceType !== 'plugin' || engine.pluginId === undefined || source === engine.pluginId);
  switch (type) {
    case 'user':
      return ours ? { kind: 'engine', user: operator, via } : { kind: 'user', id: operator, via };
    case 'plugin':
      if (ours) return { kind: 'engine', user: operator, ...(source ? { id: source } : {}), via };
      return { kind: 'plugin', id: sourceType === 'plugin' && source ? source : '', user: operator, via };
    case 'auto':
      return { kind: 'automation', id: sourceType === 'auto' && source ? source : operator, via };
    case 'system':
    case 'calc_field':
    case 'others':
      return { kind: 'system', id: type, via };
    default:
      return { kind: 'unknown', via };
  }
}
