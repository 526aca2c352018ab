/** Audit retention: purge records older than the configured age, now and then. */
import type { AuditStore } from '../store/ports.ts';

export interface AuditRetentionOptions {
  audit: AuditStore;
  /** Records older than this are deleted. @defaultValue 30 days */
  retentionMs?: number;
  /** How often to purge. @defaultValue 1 hour */
  everyMs?: number;
  now?: () => number;
  /** Called with each purge's error; a failed purge is retried at the next tick. */
  onError?: (error: unknown) => void;
}

export const DEFAULT_AUDIT_RETENTION_MS = 30 * 86_400_000;

export function purgeAudit(audit: AuditStore, retentionMs: number, now: number): Promise<number> {
  if (!(retentionMs > 0)) throw new RangeError(`audit retention must be positive, got ${retentionMs}`);
  return audit.purge(now - retentionMs);
}

/** Starts periodic purging; returns the function that stops it. */
export function startAuditRetention(options: AuditRetentionOptions): () => void {
  const retentionMs = options.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  const now = options.now ?? Date.now;
  const tick = () => {
    purgeAudit(options.audit, retentionMs, now()).catch((error: unknown) => options.onError?.(error));
  };
  const timer = setInterval(tick, options.everyMs ?? 3600_000);
  timer.unref();
  return () => clearInterval(timer);
}
