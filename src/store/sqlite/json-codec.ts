/**
 * JSON as stored in the database. Plain JSON, except that integers beyond 2^53 keep every digit:
 * a bigint (or a lossless-json LosslessNumber) is written as its exact literal and such literals
 * come back as bigint, so a payload's 19-digit ids are never rounded.
 */
import { isLosslessNumber } from 'lossless-json';
import { AutopilotError } from '../../errors.ts';

// Node 24 has JSON.rawJSON and the reviver's source context; the es2024 lib does not declare them.
const nativeJson = JSON as unknown as {
  rawJSON(text: string): unknown;
  parse(
    text: string,
    reviver: (key: string, value: unknown, context?: { source?: string }) => unknown,
  ): unknown;
};

const LONG_DIGIT_RUN = /\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return nativeJson.rawJSON(value.toString());
  if (isLosslessNumber(value)) return nativeJson.rawJSON(value.value);
  return value;
}

function reviver(_key: string, value: unknown, context?: { source?: string }): unknown {
  const source = context?.source;
  if (typeof value === 'number' && !Number.isSafeInteger(value) && source && INTEGER_LITERAL.test(source)) {
    return BigInt(source);
  }
  return value;
}

/** Encodes a value for storage; `what` names it in the error when it is not JSON. */
export function encodeJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, replacer) as string | undefined;
  } catch (error) {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `${what} cannot be stored as JSON: ${String(error)}`,
      {},
      {
        cause: error,
      },
    );
  }
  if (text === undefined) {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `${what} cannot be stored as JSON (it is ${typeof value})`,
    );
  }
  return text;
}

export function decodeJson(text: string): unknown {
  // The reviver costs a few times a plain parse: only texts with a long digit run can need it.
  return LONG_DIGIT_RUN.test(text) ? nativeJson.parse(text, reviver) : JSON.parse(text);
}
