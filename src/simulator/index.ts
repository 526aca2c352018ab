/** The Feishu Project Open API simulator: what tests, demos, benchmarks and `autopilot sim` use. */
export { createSimulator, SERVED_OPERATIONS, SERVED_ROUTES } from './simulator.ts';
export type { SimCredentials, Simulator, SimulatorOptions } from './simulator.ts';
export { startSimulator } from './server.ts';
export type { RunningSimulator, StartOptions } from './server.ts';
export { parseChaosSpec } from './chaos.ts';
export type { ChaosOptions } from './chaos.ts';
export type { AutomationRule, AutomationRun } from './automations.ts';
export { DEMO, USERS, demoTenant, loadSeedFile } from './model/seed.ts';
export type { TenantData } from './model/types.ts';
export type { RequestRecord, RequestFilter } from './http/request-log.ts';
export type { Delivery, WebhookEvent, WebhookTarget } from './webhooks/dispatcher.ts';
export type { LarkReply } from './http/core.ts';
