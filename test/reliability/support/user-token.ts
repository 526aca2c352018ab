/** A user token for one of the simulated tenant's people: their changes are `operator_type: user`, on a rate budget of their own. */
import type { World } from './world.ts';

export async function userToken(world: World, userKey: string): Promise<string> {
  const base = world.sim.baseUrl;
  const { pluginId, pluginSecret } = world.sim.credentials;
  const plugin = await fetch(`${base}/open_api/authen/plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ plugin_id: pluginId, plugin_secret: pluginSecret }),
  }).then(async (r) => ((await r.json()) as { data: { token: string } }).data.token);
  const answer = await fetch(`${base}/open_api/authen/user_plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-plugin-token': plugin },
    body: JSON.stringify({ code: world.sim.issueAuthCode(userKey), grant_type: 'authorization_code' }),
  });
  return ((await answer.json()) as { data: { token: string } }).data.token;
}
