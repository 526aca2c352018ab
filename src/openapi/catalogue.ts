/**
 * The one catalogue of Open API operations: method, path template, rate-limit class, write flag
 * and envelope kind of every endpoint in the API reference. Actions, polls, the limiter and the
 * client all read it from here.
 */
import { AutopilotError } from '../errors.ts';
import type { ApiCall } from '../plan/run.ts';
import { OPERATION_DATA } from './catalogue-data.ts';
import type { Operation } from './operation.ts';

export type { EnvelopeKind, Operation, RateLimit } from './operation.ts';

export const OPERATIONS: readonly Operation[] = OPERATION_DATA;

const BY_ID: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((op) => [op.id, op]));

export function findOperation(id: string): Operation | undefined {
  return BY_ID.get(id);
}

/** @throws AutopilotError `AP_API_UNKNOWN_OPERATION` */
export function getOperation(id: string): Operation {
  const op = BY_ID.get(id);
  if (op === undefined) {
    throw new AutopilotError('AP_API_UNKNOWN_OPERATION', `unknown Open API operation "${id}"`, {
      operation: id,
    });
  }
  return op;
}

export type PathParams = Readonly<Record<string, string | number | bigint>>;

/**
 * Fills `:name` segments of a path template, percent-encoding each value.
 * Numbers must be safe integers: a 19-digit id held in a double is already corrupted.
 * @throws AutopilotError `AP_API_CALL_INVALID` when a parameter is missing, empty or unsafe.
 */
export function fillPath(template: string, params: PathParams): string {
  return template
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? encodeURIComponent(pathValue(template, segment.slice(1), params)) : segment,
    )
    .join('/');
}

function pathValue(template: string, name: string, params: PathParams): string {
  const value = Object.hasOwn(params, name) ? params[name] : undefined;
  const problem =
    value === undefined || value === ''
      ? 'is missing'
      : typeof value === 'number' && !Number.isSafeInteger(value)
        ? `is the number ${value}, not a safe integer (pass ids as strings)`
        : value === '.' || value === '..'
          ? `is "${value}", which would change the path`
          : undefined;
  if (problem !== undefined) {
    throw new AutopilotError('AP_API_CALL_INVALID', `path parameter "${name}" ${problem} for ${template}`, {
      template,
      param: name,
    });
  }
  return String(value);
}

/**
 * The limiter's endpoint key: the real API budgets per token and endpoint (method + path
 * template), so two work items share one budget.
 */
export function rateLimitKey(operationId: string): string {
  const op = getOperation(operationId);
  return `${op.method} ${op.path}`;
}

export interface CallParts {
  path?: PathParams;
  query?: Record<string, string>;
  body?: unknown;
}

/** Renders one exact call of a catalogued operation. */
export function buildApiCall(operationId: string, parts: CallParts = {}): ApiCall {
  const op = getOperation(operationId);
  const call: ApiCall = {
    operation: op.id,
    method: op.method,
    path: fillPath(op.path, parts.path ?? {}),
    write: op.write,
  };
  if (parts.query !== undefined && Object.keys(parts.query).length > 0) call.query = parts.query;
  if (parts.body !== undefined) call.body = parts.body;
  return call;
}
