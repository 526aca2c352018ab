import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/server/http-observer.ts';
import { routeLabel } from '../../src/server/route-label.ts';

describe('routeLabel', () => {
  it('maps paths onto route templates, so ids never become label values', () => {
    expect(routeLabel('/webhooks/feishu')).toBe('/webhooks/feishu');
    expect(routeLabel('/webhooks/deploys')).toBe('/webhooks/:name');
    expect(routeLabel('/chat/events')).toBe('/chat/events');
    expect(routeLabel('/healthz')).toBe('/healthz');
    expect(routeLabel('/healthz/api')).toBe('/healthz/api');
    expect(routeLabel('/readyz')).toBe('/readyz');
    expect(routeLabel('/metrics')).toBe('/metrics');
    expect(routeLabel('/api/rules')).toBe('/api/rules');
    expect(routeLabel('/api/events/feishu:abc/trace')).toBe('/api/events/:id/trace');
    expect(routeLabel('/api/dead-letters/r1/retry')).toBe('/api/dead-letters/:id/retry');
    expect(routeLabel('/api/dead-letters/r1')).toBe('/api/dead-letters/:id');
    expect(routeLabel('/api/whatever/else')).toBe('/api/*');
    expect(routeLabel('/ui/runs')).toBe('/ui/*');
    expect(routeLabel('/ui/api/events')).toBe('/ui/api/*');
    expect(routeLabel('/api/overview')).toBe('/api/overview');
    expect(routeLabel('/api/rules/escalate-p0-bugs')).toBe('/api/rules/:id');
    expect(routeLabel('/api/events/feishu:abc')).toBe('/api/events/:id');
    expect(routeLabel('/api/dead-letters/page')).toBe('/api/dead-letters/page');
    expect(routeLabel('/api/dead-letters/retry')).toBe('/api/dead-letters/retry');
    expect(routeLabel('/api/dead-letters/events')).toBe('/api/dead-letters/events');
    expect(routeLabel('/api/dead-letters/events/chat%3Ae1/retry')).toBe('/api/dead-letters/events/:id/retry');
    expect(routeLabel('/api/dead-letters/events/chat%3Ae1')).toBe('/api/dead-letters/events/:id');
    expect(routeLabel('/api/runs/page')).toBe('/api/runs/page');
  });

  it('puts every other path under one label', () => {
    for (const path of ['/', '/x', '/webhooks', '/webhooks/a/b', '/metrics/x', '/healthzz']) {
      expect(routeLabel(path), path).toBe('unmatched');
    }
  });
});

describe('redactUrl', () => {
  it('hides the values of query parameters that look like credentials', () => {
    expect(redactUrl('/api/runs?limit=1&token=abc&state=dead')).toBe(
      '/api/runs?limit=1&token=[redacted]&state=dead',
    );
    expect(redactUrl('/x?access_token=a&api%5Fkey=b&sig=c&password=d&Authorization=e')).toBe(
      '/x?access_token=[redacted]&api%5Fkey=[redacted]&sig=[redacted]&password=[redacted]&Authorization=[redacted]',
    );
    expect(redactUrl('/x')).toBe('/x');
    expect(redactUrl('/x?flag&%E0%A4%A=1')).toBe('/x?flag&%E0%A4%A=1');
  });

  it('clips very long URLs', () => {
    expect(redactUrl(`/${'a'.repeat(5_000)}`)).toHaveLength(2_001);
  });
});
