/**
 * One ApiCaller for the executor that sends each call where its operation belongs: `lark.*` to
 * the Lark IM client, `http.*` to the outbound HTTP caller, everything else to the Feishu
 * Project Open API client. A destination that is not configured answers a permanent outcome
 * that says what to configure, so the run is dead-lettered with a clear error.
 */
import type { ApiCall } from '../plan/run.ts';
import type { ApiCaller, ApiOutcome, CallOptions } from '../openapi/types.ts';

export interface RoutingCallerOptions {
  openApi: ApiCaller;
  /** The Lark IM client; absent when no chat bot app is configured. */
  lark?: ApiCaller;
  /** The outbound `http` action's caller; absent until that module is wired. */
  http?: ApiCaller;
}

export type Destination = 'lark' | 'http' | 'openapi';

export function destinationOf(operation: string): Destination {
  if (operation.startsWith('lark.')) return 'lark';
  if (operation.startsWith('http.')) return 'http';
  return 'openapi';
}

const MISSING: Record<Exclude<Destination, 'openapi'>, string> = {
  lark: 'no Lark chat bot is configured: set LARK_APP_ID and LARK_APP_SECRET (and LARK_BASE_URL)',
  http: 'outbound http calls are not available: no http caller is configured in this engine',
};

export function createRoutingCaller(options: RoutingCallerOptions): ApiCaller {
  const callerOf = (call: ApiCall): ApiCaller | Destination => {
    const destination = destinationOf(call.operation);
    if (destination === 'openapi') return options.openApi;
    return options[destination] ?? destination;
  };
  return {
    async call(call: ApiCall, callOptions?: CallOptions): Promise<ApiOutcome> {
      const caller = callerOf(call);
      if (typeof caller !== 'string') return caller.call(call, callOptions);
      return { class: 'permanent', errMsg: MISSING[caller as 'lark' | 'http'], durationMs: 0 };
    },
    dropToken() {
      // The executor does not say whose token was refused; a spare token fetch is cheap.
      options.openApi.dropToken();
      options.lark?.dropToken();
      options.http?.dropToken();
    },
    tokenKey: () => options.openApi.tokenKey(),
  };
}
