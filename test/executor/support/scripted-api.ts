/**
 * An ApiCaller test double answering from a script: each call gets the next scripted outcome for
 * its operation (or `ok` when the script is exhausted). Records every call with its headers'
 * equivalents so tests can check idempotency keys.
 */
import type { ApiCaller, ApiOutcome, CallOptions, OutcomeClass } from '../../../src/openapi/types.ts';
import type { ApiCall } from '../../../src/plan/run.ts';

export interface RecordedCall {
  call: ApiCall;
  idempotencyKey: string | undefined;
  token: string;
}

export type Answer = Partial<ApiOutcome> & { class: OutcomeClass };

export class ScriptedApi implements ApiCaller {
  readonly calls: RecordedCall[] = [];
  tokenDrops = 0;
  #token = 1;
  readonly #script = new Map<string, Array<Answer | ((call: ApiCall) => Answer | Promise<Answer>)>>();
  #fallback: (call: ApiCall) => Answer | Promise<Answer> = () => ({ class: 'ok', data: {} });

  /** Queues answers for an operation, used in order. */
  on(operation: string, ...answers: Array<Answer | ((call: ApiCall) => Answer | Promise<Answer>)>): this {
    this.#script.set(operation, [...(this.#script.get(operation) ?? []), ...answers]);
    return this;
  }

  otherwise(answer: (call: ApiCall) => Answer | Promise<Answer>): this {
    this.#fallback = answer;
    return this;
  }

  async call(call: ApiCall, options: CallOptions = {}): Promise<ApiOutcome> {
    this.calls.push({ call, idempotencyKey: options.idempotencyKey, token: `t${this.#token}` });
    const next = this.#script.get(call.operation)?.shift() ?? this.#fallback;
    const answer = typeof next === 'function' ? await next(call) : next;
    return { durationMs: 1, ...answer };
  }

  dropToken(): void {
    this.tokenDrops++;
    this.#token++;
  }

  async tokenKey(): Promise<string> {
    return 'plugin-token-key';
  }

  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.call.operation === operation);
  }
}
