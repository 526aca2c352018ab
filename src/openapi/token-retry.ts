/**
 * The one repeat the client allows, made explicit: after the plugin token is refused
 * (10021 / 10022 / 10211), drop it and make the same call once more.
 */
import type { ApiCall } from '../plan/run.ts';
import { TOKEN_RETRY_CODES } from './error-table.ts';
import type { ApiCaller, ApiOutcome, CallOptions } from './types.ts';

/** Whether the plugin token was refused in a way a fresh token may cure (10021, 10022, 10211). */
export function isTokenRejection(outcome: ApiOutcome): boolean {
  return outcome.class === 'auth' && outcome.errCode !== undefined && TOKEN_RETRY_CODES.has(outcome.errCode);
}

/**
 * The executor's explicit token repeat: when the token is refused, drop it and make the call
 * once more (with the same idempotency key). Never more than two attempts.
 */
export async function callWithTokenRetry(
  caller: ApiCaller,
  call: ApiCall,
  options?: CallOptions,
): Promise<ApiOutcome> {
  const first = await caller.call(call, options);
  if (!isTokenRejection(first) || options?.userToken !== undefined) return first;
  caller.dropToken();
  return caller.call(call, options);
}
