/** startSimulator: the simulator listening on 127.0.0.1 (port 0 = any free port). */
import type { AddressInfo } from 'node:net';
import { createSimulator, type Simulator, type SimulatorOptions } from './simulator.ts';

export interface StartOptions extends SimulatorOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
}

export interface RunningSimulator extends Simulator {
  /** e.g. `http://127.0.0.1:43127`, no trailing slash. */
  baseUrl: string;
  port: number;
  /** Stops accepting, drops open connections, waits for webhook deliveries, saves the snapshot. */
  close(): Promise<void>;
}

export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const sim = createSimulator(options);
  const host = options.host ?? '127.0.0.1';
  const server = sim.app.listen(options.port ?? 0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await sim.webhooksIdle();
    sim.saveSnapshot();
  };
  return Object.assign(sim, { baseUrl: `http://${host}:${port}`, port, close });
}
