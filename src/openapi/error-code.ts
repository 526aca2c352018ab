/**
 * The Open API's `err_code` behind a failed read, when the failure was the API's answer (a read
 * throws an AutopilotError carrying the classified outcome), for callers that give one code a
 * meaning of their own: "nobody found", "no such space", "window refused".
 */
import { isAutopilotError } from '../errors.ts';
import type { ApiOutcome } from './types.ts';

export function apiErrCodeOf(error: unknown): number | undefined {
  if (!isAutopilotError(error)) return undefined;
  return (error.details?.outcome as ApiOutcome | undefined)?.errCode;
}
