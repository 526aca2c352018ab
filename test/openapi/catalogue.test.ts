import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import {
  OPERATIONS,
  buildApiCall,
  fillPath,
  findOperation,
  getOperation,
  rateLimitKey,
} from '../../src/openapi/catalogue.ts';
import { renderCatalogueData, toCatalogueEntries } from '../../src/openapi/catalogue-render.ts';

const REFERENCE = '/work/shared/feishu-project-api/operations.json';

describe('operation catalogue', () => {
  it.runIf(existsSync(REFERENCE))('is in step with the API reference operations.json', () => {
    const reference = toCatalogueEntries(JSON.parse(readFileSync(REFERENCE, 'utf8')));
    expect(OPERATIONS).toEqual(reference);
  });

  it('has unique ids and path params that match the template', () => {
    expect(new Set(OPERATIONS.map((op) => op.id)).size).toBe(OPERATIONS.length);
    for (const op of OPERATIONS) {
      const inTemplate = op.path
        .split('/')
        .filter((s) => s.startsWith(':'))
        .map((s) => s.slice(1));
      expect(inTemplate, op.id).toEqual(op.pathParams);
    }
  });

  it('knows the rate-limit classes of the reference', () => {
    expect(getOperation('workItem.filter').rateLimit).toEqual({ qps: 15, qpm: 450 });
    expect(getOperation('workItem.searchByParams').rateLimit).toEqual({ qps: 15, qpm: 450 });
    expect(getOperation('workItem.searchByRelation').rateLimit).toEqual({ qps: 10 });
    expect(getOperation('workItem.batchUpdate').rateLimit).toEqual({ qps: 1 });
    expect(getOperation('comment.create').rateLimit).toEqual({ qps: 15 });
    expect(getOperation('comment.create').write).toBe(true);
    expect(getOperation('workItem.query').write).toBe(false);
    expect(getOperation('auth.pluginToken').envelope).toBe('token');
  });

  it('refuses an unknown operation with a clear error', () => {
    expect(findOperation('comment.shout')).toBeUndefined();
    expect(() => getOperation('comment.shout')).toThrow(/unknown Open API operation "comment.shout"/);
    let caught: unknown;
    try {
      rateLimitKey('nope');
    } catch (error) {
      caught = error;
    }
    expect(isAutopilotError(caught, 'AP_API_UNKNOWN_OPERATION')).toBe(true);
  });

  it('keys the limiter by method and path template', () => {
    expect(rateLimitKey('comment.create')).toBe(
      'POST /open_api/:project_key/work_item/:work_item_type_key/:work_item_id/comment/create',
    );
    expect(rateLimitKey('workItem.update')).not.toBe(rateLimitKey('workItem.delete'));
  });
});

describe('fillPath', () => {
  const template = '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id/comment/:comment_id';

  it('fills and encodes every segment', () => {
    expect(
      fillPath(template, {
        project_key: 'sp a/ce',
        work_item_type_key: 'story',
        work_item_id: 42,
        comment_id: '7565431108055490001',
      }),
    ).toBe('/open_api/sp%20a%2Fce/work_item/story/42/comment/7565431108055490001');
  });

  it('refuses a missing or empty parameter, naming it', () => {
    expect(() =>
      fillPath(template, { project_key: 'p', work_item_type_key: 'story', work_item_id: 1 }),
    ).toThrow(/path parameter "comment_id" is missing/);
    expect(() =>
      fillPath(template, { project_key: '', work_item_type_key: 'story', work_item_id: 1, comment_id: '1' }),
    ).toThrow(/"project_key" is missing/);
  });

  it('refuses an id that is not a safe integer', () => {
    const params = {
      project_key: 'p',
      work_item_type_key: 'story',
      work_item_id: 1,
      comment_id: Number('7565431108055490001'),
    };
    expect(() => fillPath(template, params)).toThrow(/not a safe integer/);
  });

  it('refuses a dot segment that would change the path', () => {
    expect(() => fillPath('/open_api/:project_key/field/all', { project_key: '..' })).toThrow(
      /"project_key" is "\.\.", which would change the path/,
    );
  });

  it('does not take parameters from the prototype chain', () => {
    expect(() => fillPath('/x/:constructor', {})).toThrow(/"constructor" is missing/);
  });
});

describe('buildApiCall', () => {
  it('renders an exact call', () => {
    const call = buildApiCall('comment.list', {
      path: { project_key: 'p', work_item_type_key: 'story', work_item_id: '9' },
      query: { page_num: '1' },
    });
    expect(call).toEqual({
      operation: 'comment.list',
      method: 'GET',
      path: '/open_api/p/work_item/story/9/comments',
      query: { page_num: '1' },
      write: false,
    });
  });
});

describe('catalogue rendering', () => {
  it('rejects a malformed reference with the entry named', () => {
    expect(() => toCatalogueEntries({})).toThrow(/must be an array/);
    expect(() => toCatalogueEntries([{ id: 'x', path: '/a', method: 'FETCH' }])).toThrow(
      /\(x\): unknown method/,
    );
    expect(renderCatalogueData([])).toContain('OPERATION_DATA');
  });
});
