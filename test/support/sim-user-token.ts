/** A user token for one of a simulated tenant's people: their changes are `operator_type: user`, on a rate budget of their own. */
interface Sim {
  baseUrl: string;
  credentials: { pluginId: string; pluginSecret: string };
  issueAuthCode(userKey: string): string;
}

export async function pluginToken(sim: Sim): Promise<string> {
  const answer = await fetch(`${sim.baseUrl}/open_api/authen/plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      plugin_id: sim.credentials.pluginId,
      plugin_secret: sim.credentials.pluginSecret,
    }),
  });
  return ((await answer.json()) as { data: { token: string } }).data.token;
}

export async function userToken(sim: Sim, userKey: string): Promise<string> {
  const answer = await fetch(`${sim.baseUrl}/open_api/authen/user_plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-plugin-token': await pluginToken(sim) },
    body: JSON.stringify({ code: sim.issueAuthCode(userKey), grant_type: 'authorization_code' }),
  });
  return ((await answer.json()) as { data: { token: string } }).data.token;
}
