import { createHash } from 'node:crypto';

/**
 * Trace and span ids derived from the engine's own ids, so that the stages of one event link up
 * without storing a trace context anywhere: the process that runs a run (after a restart, or
 * another engine of the cluster) computes the same parent id the matching process used. One
 * event is one trace; its redeliveries and its runs belong to it.
 */
export function traceIdOf(eventId: string): string {
  return hex(`trace:${eventId}`, 32);
}

/** `stage` names what the span is (`stored`, `matched`, `run`); `id` whose it is. */
export function spanIdOf(stage: string, id: string): string {
  return hex(`${stage}:${id}`, 16);
}

function hex(text: string, length: number): string {
  const digest = createHash('sha256').update(text).digest('hex').slice(0, length);
  // All zeros is the invalid id in W3C trace context; a sha-256 prefix of zeros is as good as never.
  return /^0+$/.test(digest) ? `${'0'.repeat(length - 1)}1` : digest;
}
