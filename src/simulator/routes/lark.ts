/**
 * The Lark Open Platform side of the simulator: the app's tenant token, contact look-ups, IM
 * messages (send, reply, read, update a card), Lark's JSON envelope on every answer including
 * unknown paths, and the /_sim/lark/ controls (sent messages, card callbacks, simulated clicks).
 */
import type { Router } from 'express';
import type { SimCore } from '../http/core.ts';
import { larkContactRoutes } from '../lark/contact-routes.ts';
import { mountLarkNotFound, mountLarkRoute } from '../lark/lark-http.ts';
import { mountLarkInspection } from '../lark/lark-inspection.ts';
import { larkMessageRoutes } from '../lark/message-routes.ts';

export function mountLark(router: Router, core: SimCore): void {
  mountLarkInspection(router, core);
  for (const def of [...larkContactRoutes, ...larkMessageRoutes]) mountLarkRoute(router, core, def);
  mountLarkNotFound(router, core);
}
