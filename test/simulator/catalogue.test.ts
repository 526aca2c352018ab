/** The simulator serves every catalogued operation at the catalogue's method, path, limit and write flag. */
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/openapi/catalogue.ts';
import { SERVED_ROUTES } from '../../src/simulator/index.ts';

describe('simulator routes vs the operation catalogue', () => {
  it.each(OPERATIONS.map((op) => [op.id, op] as const))('%s', (id, op) => {
    const route = SERVED_ROUTES.find((r) => r.id === id);
    expect(route, `${id} is not served`).toBeDefined();
    expect({ method: route?.method, path: route?.path, limit: route?.limit, write: route?.write }).toEqual({
      method: op.method,
      path: op.path,
      limit: { ...op.rateLimit },
      write: op.write,
    });
  });

  it('serves nothing outside the catalogue', () => {
    const known = new Set(OPERATIONS.map((op) => op.id));
    expect(SERVED_ROUTES.map((r) => r.id).filter((id) => !known.has(id))).toEqual([]);
  });
});
