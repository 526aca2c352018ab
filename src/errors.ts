/**
 * The one catalogue of error codes. Every error the engine reports carries a stable `code`
 * from here; callers branch on the code, never on the message. The README's error table is
 * generated from / checked against this list by `test/errors.test.ts`.
 *
 * Add a code by adding an entry to `ERROR_CATALOGUE`; keep codes stable once released.
 */

/** Who has to act when this error happens. */
export type ErrorOwner = 'rule_author' | 'operator' | 'client' | 'bug' | 'none';

export interface ErrorSpec {
  /** Short human description of the condition; the specific message is given at throw time. */
  readonly title: string;
  /** HTTP status used when this error is the answer to an HTTP request, if any. */
  readonly status?: number;
  /** Whether repeating the same operation later may succeed. */
  readonly retryable: boolean;
  readonly owner: ErrorOwner;
}

export const ERROR_CATALOGUE = {
  // Rule files and rule language
  AP_RULE_FILE: { title: 'Rule file or directory cannot be read', retryable: false, owner: 'rule_author' },
  AP_RULE_YAML: { title: 'Rule file is not valid YAML', retryable: false, owner: 'rule_author' },
  AP_RULE_SCHEMA: { title: 'Rule does not match the rule schema', retryable: false, owner: 'rule_author' },
  AP_RULE_UNSAFE: {
    title: 'Rule file refused for safety (size, aliases, reserved keys)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_RULE_INVALID: { title: 'Rule is semantically invalid', retryable: false, owner: 'rule_author' },
  AP_RULE_DUPLICATE_ID: { title: 'Two rules share one id', retryable: false, owner: 'rule_author' },
  AP_TARGET_INVALID: {
    title: 'An action names a work item that cannot be one: target.id a list or not an int64 id',
    retryable: false,
    owner: 'rule_author',
  },
  AP_TEMPLATE_MISSING_PATH: {
    title: 'A template refers to a value the event does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_TEMPLATE_INVALID: { title: 'A template is malformed', retryable: false, owner: 'rule_author' },
  AP_STEP_LIMIT: {
    title: 'A for_each list is longer than its max_items; refused before any write',
    retryable: false,
    owner: 'rule_author',
  },
  AP_SECRET_UNKNOWN: {
    title: 'A rule names a secret that is not set (AUTOPILOT_SECRET_<NAME>)',
    retryable: false,
    owner: 'operator',
  },
  AP_VAR_NOT_NUMBER: {
    title: 'An increment of a variable whose value, or whose `by`, is not a number',
    retryable: false,
    owner: 'rule_author',
  },
  // `autopilot check --live` / `--offline`: rules checked against the tenant's metadata
  AP_META_UNKNOWN_SPACE: {
    title: 'A rule names a space the tenant does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_TYPE: {
    title: 'A rule names a work item type the space does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_FIELD: {
    title: 'A rule names a field key or alias the type does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_OPTION: {
    title: 'A rule uses an option value the field does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_FIELD_TYPE: {
    title: 'A rule compares or writes a value of the wrong type for the field',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_STATE: {
    title: "A rule names a state the type's workflow does not have",
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_NODE: {
    title: "A rule names a node the type's workflow does not have",
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_NO_TRANSITION: {
    title:
      'A rule transitions from the state its condition requires to one the workflow has no transition to',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNREACHABLE: {
    title: 'A rule names a state or node no transition of the workflow leads to',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_ROLE: {
    title: 'A rule names a role the type does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_RELATION_RULE: {
    title: 'A rule names a relation rule the space does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_UNKNOWN_USER: {
    title: 'A rule names a user key the tenant does not have',
    retryable: false,
    owner: 'rule_author',
  },
  AP_META_NOT_SAVED: {
    title: 'A space or user key is not in the saved metadata (--offline)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_CONDITION_NEEDS_LIVE_DATA: {
    title: 'A condition needs work item data that is not available offline',
    retryable: false,
    owner: 'none',
  },

  // Input to the engine
  AP_EVENT_INVALID: { title: 'Event is not a valid event', status: 400, retryable: false, owner: 'client' },
  AP_BAD_REQUEST: { title: 'Request is malformed', status: 400, retryable: false, owner: 'client' },
  AP_ID_INVALID: {
    title: 'An id in the delivery is not one the engine can use (work item id not an int64, id too long)',
    status: 400,
    retryable: false,
    owner: 'client',
  },
  AP_UNAUTHORIZED: {
    title: 'Missing or wrong credentials',
    status: 401,
    retryable: false,
    owner: 'client',
  },
  AP_FORBIDDEN: {
    title: 'Dashboard action refused: no valid CSRF token, or sent from another site',
    status: 403,
    retryable: false,
    owner: 'client',
  },
  AP_NOT_FOUND: { title: 'No such resource', status: 404, retryable: false, owner: 'client' },
  AP_MANUAL_REFUSED: {
    title:
      'A manual run refused: the rule has no on.manual, is disabled, or the work item is outside its pre-filters',
    status: 409,
    retryable: false,
    owner: 'client',
  },
  AP_PAYLOAD_TOO_LARGE: { title: 'Body is too large', status: 413, retryable: false, owner: 'client' },
  AP_UNSUPPORTED_MEDIA_TYPE: {
    title: 'Body is not JSON',
    status: 415,
    retryable: false,
    owner: 'client',
  },
  AP_CONFIG_INVALID: { title: 'Configuration is invalid', retryable: false, owner: 'operator' },
  AP_LISTEN: {
    title: 'The engine cannot listen on its address: the port is in use or not permitted',
    retryable: true,
    owner: 'operator',
  },
  AP_CLI_USAGE: { title: 'Command-line arguments are wrong', retryable: false, owner: 'client' },
  AP_ENGINE_UNREACHABLE: {
    title: "autopilot run could not reach the engine's admin API (not running, wrong --url, not the engine)",
    retryable: true,
    owner: 'operator',
  },
  AP_INPUT_FILE: {
    title: 'An input file is missing, unreadable or not valid JSON',
    retryable: false,
    owner: 'client',
  },

  // Open API outcomes (see src/openapi/classify.ts)
  AP_API_RATE_LIMITED: { title: 'Open API rate limit hit (10429)', retryable: true, owner: 'none' },
  AP_API_TRANSIENT: {
    title: 'Open API transient failure (5xx, network, 50006)',
    retryable: true,
    owner: 'none',
  },
  AP_API_AUTH: { title: 'Open API refused the credentials', retryable: false, owner: 'operator' },
  AP_API_PERMANENT: {
    title: 'Open API refused the request permanently',
    retryable: false,
    owner: 'rule_author',
  },
  AP_API_ALREADY_APPLIED: { title: 'The write was already applied (10430)', retryable: false, owner: 'none' },
  AP_API_UNKNOWN_OPERATION: {
    title: 'No Open API operation with this id in the catalogue',
    retryable: false,
    owner: 'rule_author',
  },
  AP_API_CALL_INVALID: {
    title: 'An Open API call cannot be built (missing path parameter, id that is not an integer)',
    retryable: false,
    owner: 'rule_author',
  },

  // Operation records (reconciler, origins, backtests)
  AP_RECORD_UNKNOWN: {
    title: 'An operation record of an unknown module, operation or object type (skipped)',
    retryable: false,
    owner: 'none',
  },
  AP_RECORD_ITEM_DELETED: {
    title: 'An operation record of a work item deleted since (skipped)',
    retryable: false,
    owner: 'none',
  },
  AP_RECORD_TOO_OLD: {
    title: 'Operation records before 2024-07-02 are not kept by the API',
    retryable: false,
    owner: 'client',
  },
  AP_RECORD_WINDOW: {
    title: 'An operation-record window the API does not serve (over 7 days, bad page size or cursor)',
    retryable: false,
    owner: 'client',
  },

  // Execution
  AP_LOOP_STOPPED: {
    title:
      'Causation depth cap reached, or a Feishu automation rule kept answering a rule; the chain was stopped',
    retryable: false,
    owner: 'rule_author',
  },
  AP_BREAKER_OPEN: {
    title: 'Too many runs for one rule and work item; the pair is paused',
    retryable: false,
    owner: 'rule_author',
  },
  AP_HTTP_ACTION_REFUSED: {
    title: 'Outbound http action refused (host not allowed or private address)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_USER_NOT_FOUND: {
    title: 'Feishu Project does not know a user key a rule names (user/query)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_LARK_RECIPIENT: {
    title:
      'A message recipient cannot be reached in Lark (no Lark identity, or not a chat, person or e-mail)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_LARK_CARD_INVALID: {
    title: 'A Lark card is not valid card JSON (card file, or what its templates rendered)',
    retryable: false,
    owner: 'rule_author',
  },
  AP_APPROVAL_APPROVERS: {
    title: "An approve step's approvers are not Feishu Project user keys, or name nobody",
    retryable: false,
    owner: 'rule_author',
  },
  AP_APPROVAL_NOT_ALLOWED: {
    title:
      'An approval card was clicked by someone not on its approvers list (answered politely, nothing changed)',
    retryable: false,
    owner: 'none',
  },
  AP_APPROVAL_CLOSED: {
    title: 'An approval card was clicked after its decision or timeout (answered politely, nothing changed)',
    retryable: false,
    owner: 'none',
  },
  AP_SHUTDOWN: { title: 'Engine is shutting down', status: 503, retryable: true, owner: 'none' },
  AP_STORE: { title: 'Storage failure', status: 503, retryable: true, owner: 'operator' },
  AP_STORE_SCHEMA_NEWER: {
    title: 'The database was written by a newer version of the engine',
    retryable: false,
    owner: 'operator',
  },
  AP_STORE_BAD_INPUT: {
    title: 'A store was called with an argument it cannot take',
    retryable: false,
    owner: 'bug',
  },
  AP_STORE_UNSUPPORTED: {
    title: 'Redis or PostgreSQL is older than the cluster profile supports',
    retryable: false,
    owner: 'operator',
  },
  AP_LEASE_LOST: {
    title: 'The worker no longer holds the lease on this run (expired or taken over)',
    retryable: false,
    owner: 'none',
  },
  AP_POISON: {
    title: 'An event or run was claimed too often without finishing and was dead-lettered',
    retryable: false,
    owner: 'bug',
  },
  AP_INTERNAL: { title: 'Internal error', status: 500, retryable: false, owner: 'bug' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a stable code from the catalogue and optional structured details. */
export class AutopilotError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AutopilotError';
    this.code = code;
    this.details = details;
  }

  get spec(): ErrorSpec {
    return ERROR_CATALOGUE[this.code];
  }

  get status(): number {
    return this.spec.status ?? 500;
  }
}

export function isAutopilotError(value: unknown, code?: ErrorCode): value is AutopilotError {
  return value instanceof AutopilotError && (code === undefined || value.code === code);
}
