/** Calls to the dashboard's data API: the session cookie goes along, actions carry the CSRF token. */
let csrf = '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function startSession() {
  const session = await api('/session');
  csrf = session.csrf;
  return session;
}

export function api(path, options = {}) {
  return request(`/ui/api${path}`, options);
}

async function request(url, options = {}) {
  const headers = { Accept: 'application/json' };
  if (options.method && options.method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  if (response.status === 401) {
    location.assign(`/ui/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'AP_UNAUTHORIZED', 'session ended');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(
      response.status,
      body.error?.code ?? 'AP_INTERNAL',
      body.error?.message ?? response.statusText,
    );
  }
  return body;
}

export async function logout() {
  await request('/ui/logout', { method: 'POST' }).catch(() => undefined);
}

/** `?a=1&b=` → query string of the non-empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
