/**
 * The route template a request path belongs to, for metric labels and the access log. A fixed
 * table rather than express's matched route: it also labels requests express never routes (401s
 * of the admin guard, 404s, a hot path beside express), and the label set stays bounded whatever
 * paths clients send.
 */
const TEMPLATES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/webhooks\/feishu$/, '/webhooks/feishu'],
  [/^\/webhooks\/[^/]+$/, '/webhooks/:name'],
  [/^\/chat\/events$/, '/chat/events'],
  [/^\/healthz$/, '/healthz'],
  [/^\/healthz\/api$/, '/healthz/api'],
  [/^\/readyz$/, '/readyz'],
  [/^\/metrics$/, '/metrics'],
  [/^\/api\/(rules|reload|runs|dead-letters|breakers|overview|events|stream)$/, '/api/$1'],
  [/^\/api\/(runs\/page|dead-letters\/page|dead-letters\/retry|dead-letters\/events)$/, '/api/$1'],
  [/^\/api\/dead-letters\/events\/[^/]+\/retry$/, '/api/dead-letters/events/:id/retry'],
  [/^\/api\/dead-letters\/events\/[^/]+$/, '/api/dead-letters/events/:id'],
  [/^\/api\/rules\/[^/]+$/, '/api/rules/:id'],
  [/^\/api\/events\/[^/]+\/trace$/, '/api/events/:id/trace'],
  [/^\/api\/events\/[^/]+$/, '/api/events/:id'],
  [/^\/api\/dead-letters\/[^/]+\/retry$/, '/api/dead-letters/:id/retry'],
  [/^\/api\/dead-letters\/[^/]+$/, '/api/dead-letters/:id'],
  [/^\/api(\/.*)?$/, '/api/*'],
  [/^\/ui\/api(\/.*)?$/, '/ui/api/*'],
  [/^\/ui(\/.*)?$/, '/ui/*'],
];

/** Paths of probes and scrapes: their access log lines go at `debug`, not to drown the rest. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/healthz/api', '/readyz', '/metrics']);

export function routeLabel(path: string): string {
  for (const [pattern, template] of TEMPLATES) {
    const match = pattern.exec(path);
    if (match) return template.replace('$1', match[1] ?? '');
  }
  return 'unmatched';
}
