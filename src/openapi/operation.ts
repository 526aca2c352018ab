/** The shape of one catalogued Open API operation (see catalogue.ts). */
import type { HttpMethod } from '../plan/run.ts';

/** Requests allowed per (token, endpoint): always per second, some endpoints also per minute. */
export interface RateLimit {
  readonly qps: number;
  readonly qpm?: number;
}

/**
 * `standard`: `{err_code, err_msg, err, data, pagination}`; `token`: the authen endpoints'
 * `{data, error}`; `binary-or-standard`: raw bytes on success, a standard envelope on failure.
 */
export type EnvelopeKind = 'standard' | 'token' | 'binary-or-standard';

export interface Operation {
  /** operations.json id, e.g. `comment.create`. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path template with `:name` parameters, e.g. `/open_api/:project_key/work_item/create`. */
  readonly path: string;
  readonly pathParams: readonly string[];
  /** Query-string parameter names the endpoint accepts. */
  readonly query: readonly string[];
  readonly rateLimit: RateLimit;
  /** Writes carry `X-IDEM-UUID`. */
  readonly write: boolean;
  readonly envelope: EnvelopeKind;
  /** Request body type; `null` for endpoints without a body. */
  readonly contentType: 'application/json' | 'multipart/form-data' | null;
}
