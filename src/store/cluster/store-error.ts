/** Driver failures of the cluster stores become `AP_STORE` (retryable, the operator's to fix). */
import { AutopilotError, isAutopilotError } from '../../errors.ts';

export type Service = 'Redis' | 'PostgreSQL';

export function storeError(service: Service, error: unknown): AutopilotError {
  if (isAutopilotError(error)) return error;
  const detail = error as { message?: string; code?: string };
  return new AutopilotError(
    'AP_STORE',
    `${service}: ${detail.message ?? String(error)}`,
    { service, driverCode: detail.code },
    { cause: error },
  );
}

/** Runs `work`, turning anything but an AutopilotError into AP_STORE. */
export async function guarded<T>(service: Service, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw storeError(service, error);
  }
}
