/** Calls to the admin API with (or without) the bearer token. */
import { ADMIN_TOKEN } from './engine-harness.ts';

export interface AdminAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

export async function admin(
  baseUrl: string,
  method: string,
  path: string,
  /** null sends no Authorization header. */
  authorization: string | null = `Bearer ${ADMIN_TOKEN}`,
): Promise<AdminAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: authorization === null ? {} : { authorization },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (metrics); the text is the answer.
  }
  return { status: response.status, headers: response.headers, text, body };
}
