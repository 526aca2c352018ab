import { describe, expect, it } from 'vitest';
import { classifyOutcome, type RawAnswer } from '../../src/openapi/classify.ts';
import { ERR_50006_MESSAGES, ERROR_CODE_ROWS, classOfCode } from '../../src/openapi/error-table.ts';

function http(
  status: number,
  body: unknown,
  extra: Partial<Extract<RawAnswer, { kind: 'http' }>> = {},
): RawAnswer {
  return {
    kind: 'http',
    status,
    headers: {},
    body: typeof body === 'string' ? body : JSON.stringify(body),
    envelope: 'standard',
    ...extra,
  };
}

const failure = (code: number, msg = 'x', inner = '') => ({
  err_code: code,
  err_msg: msg,
  err: { code, msg: inner, log_id: 'log-from-body' },
});

describe('classifyOutcome: business codes', () => {
  it.each(ERROR_CODE_ROWS.filter((r) => r.code !== 50006))(
    'code $code is $class (README: $readme)',
    (row) => {
      const outcome = classifyOutcome(http(400, failure(row.code, 'Outer', 'inner')), 3);
      expect(outcome).toMatchObject({
        class: row.class,
        errCode: row.code,
        errMsg: 'Outer',
        innerMsg: 'inner',
        logId: 'log-from-body',
        httpStatus: 400,
        durationMs: 3,
      });
    },
  );

  it('follows the README for the codes the issue names', () => {
    expect(classOfCode(10429, [])).toBe('rate_limited');
    expect(classOfCode(10430, [])).toBe('already_applied');
    for (const code of [10021, 10022, 10211, 10301, 10302, 10404, 10001, 20039, 20042, 10023]) {
      expect(classOfCode(code, [])).toBe('auth');
    }
    for (const code of [50005, 1000050262]) expect(classOfCode(code, [])).toBe('transient');
    for (const code of [10002, 20005, 20006, 20038, 30005, 9999, 20017])
      expect(classOfCode(code, [])).toBe('permanent');
  });

  it('treats a code absent from the tables as permanent', () => {
    expect(classifyOutcome(http(400, failure(23456)), 0).class).toBe('permanent');
  });

  it.each(ERR_50006_MESSAGES)('50006 "$contains" is $class', (row) => {
    const inInner = classifyOutcome(http(500, failure(50006, 'Outer', `prefix ${row.contains} suffix`)), 0);
    expect(inInner.class).toBe(row.class);
    const inOuter = classifyOutcome(http(500, failure(50006, row.contains.toUpperCase())), 0);
    expect(inOuter.class).toBe(row.class);
  });

  it('treats an unknown 50006 message as transient', () => {
    expect(classifyOutcome(http(500, failure(50006, 'RPC Call Error', 'something new')), 0).class).toBe(
      'transient',
    );
  });

  it('decides on err_code, not on the HTTP status', () => {
    expect(classifyOutcome(http(200, failure(10429)), 0).class).toBe('rate_limited');
    expect(classifyOutcome(http(500, { err_code: 0, err_msg: '', err: {}, data: {} }), 0).class).toBe('ok');
  });

  it('accepts a code sent as a string', () => {
    expect(
      classifyOutcome(http(429, { err_code: '10429', err_msg: 'API Request Frequency Limit' }), 0),
    ).toMatchObject({
      class: 'rate_limited',
      errCode: 10429,
    });
  });
});

describe('classifyOutcome: success', () => {
  it('keeps data and pagination, with ids as strings', () => {
    const body =
      '{"err_code":0,"err_msg":"","err":{},"data":[{"id":7565431108055490001,"work_item_id":6215410001,' +
      '"created_at":1761464548000}],"pagination":{"total":1,"page_num":1,"page_size":200}}';
    const outcome = classifyOutcome(http(200, body), 1);
    expect(outcome).toEqual({
      class: 'ok',
      errCode: 0,
      httpStatus: 200,
      durationMs: 1,
      data: [{ id: '7565431108055490001', work_item_id: '6215410001', created_at: 1761464548000 }],
      pagination: { total: 1, page_num: 1, page_size: 200 },
    });
  });

  it('reads a bare id in data as a string', () => {
    const outcome = classifyOutcome(
      http(200, '{"err":{},"err_code":0,"err_msg":"","data":7565422599569830001}'),
      0,
    );
    expect(outcome.data).toBe('7565422599569830001');
  });

  it('reads the token envelope', () => {
    const ok = { data: { expire_time: 7200, token: 'p-1' }, error: { code: 0, msg: 'success' } };
    expect(classifyOutcome(http(200, ok, { envelope: 'token' }), 0)).toMatchObject({
      class: 'ok',
      data: ok.data,
    });
    const bad = { data: {}, error: { code: 10210, msg: 'code invalid' } };
    expect(classifyOutcome(http(403, bad, { envelope: 'token' }), 0)).toMatchObject({
      class: 'auth',
      errCode: 10210,
      errMsg: 'code invalid',
    });
  });

  it('passes a file download through as bytes', () => {
    const answer = http(200, 'PDF-bytes', {
      envelope: 'binary-or-standard',
      headers: { 'content-type': 'application/pdf' },
    });
    expect(classifyOutcome(answer, 0)).toMatchObject({ class: 'ok', data: 'PDF-bytes' });
  });
});

describe('classifyOutcome: log ids', () => {
  it('prefers X-Tt-Logid, then X-Request-Id, then err.log_id', () => {
    const body = failure(20005);
    expect(
      classifyOutcome(http(400, body, { headers: { 'x-tt-logid': 'tt', 'x-request-id': 'req' } }), 0).logId,
    ).toBe('tt');
    expect(classifyOutcome(http(400, body, { headers: { 'x-request-id': ['req', 'other'] } }), 0).logId).toBe(
      'req',
    );
    expect(classifyOutcome(http(400, body), 0).logId).toBe('log-from-body');
  });
});

describe('classifyOutcome: bodies that are not envelopes', () => {
  it.each([
    [502, '<html><body>Bad Gateway</body></html>', 'transient', 'HTML response instead of JSON'],
    [504, '', 'transient', 'empty response body'],
    [200, '{"err_code":0,"data":{"na', 'transient', 'response body is not valid JSON'],
    [200, '', 'transient', 'empty response body'],
    [404, '<html>Not Found</html>', 'permanent', 'HTML response instead of JSON'],
    [401, 'Unauthorized', 'auth', 'response body is not valid JSON'],
    [403, '', 'auth', 'empty response body'],
    [429, 'slow down', 'rate_limited', 'response body is not valid JSON'],
    [408, '', 'transient', 'empty response body'],
    [200, '{"status":"ok"}', 'transient', 'response is not an Open API envelope'],
    [400, '[1,2]', 'permanent', 'response is not an Open API envelope'],
    [400, 'null', 'permanent', 'response is not an Open API envelope'],
  ] as const)('HTTP %i %j is %s', (status, body, cls, msg) => {
    expect(classifyOutcome(http(status, body), 0)).toMatchObject({
      class: cls,
      httpStatus: status,
      errMsg: msg,
    });
  });

  it('classifies a body cut off by the network as transient, keeping the status', () => {
    const error = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const outcome = classifyOutcome(http(200, '{"err_code":0,', { bodyError: error }), 0);
    expect(outcome).toMatchObject({ class: 'transient', httpStatus: 200, networkError: 'UND_ERR_SOCKET' });
  });
});

describe('classifyOutcome: network failures', () => {
  it.each([
    ['UND_ERR_SOCKET', 'transient'],
    ['ECONNRESET', 'transient'],
    ['ECONNREFUSED', 'transient'],
    ['UND_ERR_CONNECT_TIMEOUT', 'transient'],
    ['UND_ERR_HEADERS_TIMEOUT', 'transient'],
    ['UND_ERR_BODY_TIMEOUT', 'transient'],
    ['UND_ERR_INVALID_ARG', 'permanent'],
  ] as const)('%s is %s', (code, cls) => {
    const error = Object.assign(new Error('boom'), { code });
    expect(classifyOutcome({ kind: 'network', error }, 7)).toEqual({
      class: cls,
      networkError: code,
      durationMs: 7,
    });
  });

  it('names an abort and a thrown non-error', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(classifyOutcome({ kind: 'network', error: abort }, 0)).toMatchObject({
      class: 'transient',
      networkError: 'AbortError',
    });
    expect(classifyOutcome({ kind: 'network', error: 'weird' }, 0).networkError).toBe('Error');
  });
});
