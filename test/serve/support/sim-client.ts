/** Open API calls to a simulator as one of its human users (default alice), like a person would. */
import { USERS } from '../../../src/simulator/index.ts';

export interface SimClient {
  call(method: string, path: string, body?: unknown, userKey?: string): Promise<SimAnswer>;
}

export interface SimAnswer {
  err_code: number;
  err_msg?: string;
  data?: unknown;
}

export async function simClient(baseUrl: string, pluginId: string, pluginSecret: string): Promise<SimClient> {
  const tokenAnswer = await fetch(`${baseUrl}/open_api/authen/plugin_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ plugin_id: pluginId, plugin_secret: pluginSecret }),
  });
  const token = ((await tokenAnswer.json()) as { data: { token: string } }).data.token;
  return {
    async call(method, path, body, userKey = USERS.alice) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-plugin-token': token, 'x-user-key': userKey },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as SimAnswer;
    },
  };
}
