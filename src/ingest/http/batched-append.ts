import type { Event } from '../../events/event.ts';
import type { EventLog } from '../../store/ports.ts';

export type Append = (event: Event, now: number) => Promise<{ inserted: boolean }>;

interface Pending {
  event: Event;
  now: number;
  resolve: (result: { inserted: boolean }) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for intake: deliveries that arrive together are stored in one durable write, so
 * a burst costs one disk sync instead of one per delivery (measured: bench/intake.bench.ts), and
 * each delivery is answered only after the write that holds it. A batch closes on the next turn
 * of the event loop or at `maxBatch`. Stores without `appendMany` append one by one.
 */
export function batchedAppend(eventLog: EventLog, maxBatch = 256): Append {
  if (!eventLog.appendMany) return (event, now) => eventLog.append(event, now);
  const appendMany = eventLog.appendMany.bind(eventLog);
  let gathering: Pending[] = [];

  const write = async (batch: Pending[]) => {
    try {
      const now = Math.max(...batch.map((p) => p.now));
      const results = await appendMany(
        batch.map((p) => p.event),
        now,
      );
      batch.forEach((p, i) => p.resolve(results[i] as { inserted: boolean }));
    } catch (error) {
      if (batch.length === 1) return (batch[0] as Pending).reject(error);
      // One delivery the store refuses must not fail the others that shared its write.
      await Promise.all(batch.map((p) => write([p])));
    }
  };
  const close = () => {
    if (gathering.length === 0) return;
    const batch = gathering;
    gathering = [];
    void write(batch);
  };

  return (event, now) =>
    new Promise((resolve, reject) => {
      gathering.push({ event, now, resolve, reject });
      if (gathering.length >= maxBatch) close();
      else if (gathering.length === 1) setImmediate(close);
    });
}
