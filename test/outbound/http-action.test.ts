import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAddressReason } from '../../src/outbound/address-policy.ts';
import { IPV4_SPECIAL, IPV6_SPECIAL } from '../../src/outbound/special-addresses.ts';
import { createHttpActionCaller, REFUSED_NETWORK_ERROR } from '../../src/outbound/http-action.ts';
import type { ApiCall } from '../../src/plan/run.ts';

/** A local target that counts every TCP connection made to it. */
interface Target {
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }>;
  server: Server;
}

let target: Target;

beforeAll(async () => {
  const requests: Target['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
      else if (req.url === '/big') res.writeHead(200).end('x'.repeat(5000));
      else if (req.url === '/fail') res.writeHead(503).end('busy');
      else if (req.url === '/missing') res.writeHead(404).end('no');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  target = { port: (server.address() as AddressInfo).port, connections: 0, requests, server };
  server.on('connection', () => (target.connections += 1));
});

afterAll(() => new Promise<void>((done) => target.server.close(() => done())));

/** Resolves every name to the given addresses, as a hostile or split-horizon DNS could. */
function fakeDns(answers: Record<string, string[]>) {
  return (
    hostname: string,
    _options: { all: true },
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    const found = answers[hostname];
    if (!found) return callback(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), []);
    callback(
      null,
      found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

function httpCall(url: string, extra: Partial<ApiCall> = {}): ApiCall {
  return {
    operation: 'http.request',
    method: 'POST',
    path: url,
    body: { hello: 'world' },
    write: true,
    ...extra,
  };
}

describe('the http action refuses targets it must not reach', () => {
  const port = () => target.port;
  const encodedLoopback = [
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0177.0.0.1',
    '0x7f.0.0.1',
    '127.1',
    '127.0.0.1.',
    '%31%32%37.0.0.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:127.0.0.1]',
    '[::127.0.0.1]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    'localhost',
    'LOCALHOST.',
    'app.localhost',
  ];
  const otherRefused = [
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '0',
    '224.0.0.1',
    '255.255.255.255',
    '[fd00:ec2::254]',
    '[fe80::1]',
    '[fc00::1]',
    '[ff02::1]',
    '[::]',
    'metadata.google.internal',
    'metadata.google.internal.',
  ];

  it.each([...encodedLoopback, ...otherRefused])('%s is refused with 0 connections opened', async (host) => {
    const before = target.connections;
    const hostOnly = host.replace(/^\[|\]$/g, '');
    const caller = createHttpActionCaller({
      allowedHosts: [host, hostOnly, '127.0.0.1', 'localhost', 'metadata.google.internal', '169.254.169.254'],
      lookup: fakeDns({ localhost: ['127.0.0.1'], 'metadata.google.internal': ['169.254.169.254'] }),
    });
    const outcome = await caller.call(httpCall(`http://${host}:${port()}/hook`));
    await caller.close();
    expect(outcome.class).toBe('permanent');
    expect(outcome.networkError).toBe(REFUSED_NETWORK_ERROR);
    expect(outcome.errMsg).toMatch(/\S/);
    expect(target.connections).toBe(before);
  });

  it('user info tricks are refused before anything is resolved', async () => {
    const caller = createHttpActionCaller({
      allowedHosts: ['hooks.example.com', '127.0.0.1'],
      lookup: fakeDns({}),
    });
    const before = target.connections;
    for (const url of [
      `http://hooks.example.com@127.0.0.1:${port()}/`,
      `http://hooks.example.com:pw@127.0.0.1:${port()}/`,
    ]) {
      const outcome = await caller.call(httpCall(url));
      expect(outcome.networkError).toBe(REFUSED_NETWORK_ERROR);
    }
    expect(target.connections).toBe(before);
    await caller.close();
  });

  it('a name that is not allow-listed is refused, and so is one allowed by a suffix pattern only below it', async () => {
    const caller = createHttpActionCaller({ allowedHosts: ['*.example.com'], lookup: fakeDns({}) });
    const denied = await caller.call(httpCall('https://evil.test/x'));
    const apex = await caller.call(httpCall('https://example.com/x'));
    const lookalike = await caller.call(httpCall('https://badexample.com/x'));
    for (const outcome of [denied, apex, lookalike]) {
      expect(outcome.errMsg).toMatch(/not in http.allowedHosts/);
    }
    await caller.close();
  });

  it('an allow-listed name whose DNS answer includes a private address is refused at connect time', async () => {
    const caller = createHttpActionCaller({
      allowedHosts: ['hooks.example.com', '*.example.com'],
      lookup: fakeDns({
        'hooks.example.com': ['127.0.0.1'],
        'mixed.example.com': ['93.184.215.14', '10.1.2.3'],
        'meta.example.com': ['169.254.169.254'],
        'v6.example.com': ['::ffff:127.0.0.1'],
      }),
    });
    const before = target.connections;
    for (const host of ['hooks.example.com', 'mixed.example.com', 'meta.example.com', 'v6.example.com']) {
      const outcome = await caller.call(httpCall(`http://${host}:${port()}/hook`));
      expect(outcome.networkError, host).toBe(REFUSED_NETWORK_ERROR);
      expect(outcome.errMsg).toContain(`${host} resolves to`);
    }
    expect(target.connections).toBe(before);
    await caller.close();
  });

  it('non-http schemes and other operations are refused', async () => {
    const caller = createHttpActionCaller({ allowedHosts: ['example.com'] });
    expect((await caller.call(httpCall('file:///etc/passwd'))).errMsg).toMatch(/scheme/);
    expect((await caller.call(httpCall('ftp://example.com/'))).errMsg).toMatch(/scheme/);
    expect((await caller.call(httpCall('not a url'))).errMsg).toBe('not a URL');
    expect(
      (await caller.call({ ...httpCall('http://example.com/'), operation: 'comment.create' })).errMsg,
    ).toMatch(/is not http.request/);
    await caller.close();
  });
});

describe('the http action calls an allowed, trusted target', () => {
  function trustedCaller(extra: { maxResponseBytes?: number } = {}) {
    return createHttpActionCaller({
      allowedHosts: ['hooks.example.com'],
      trustedAddresses: ['127.0.0.1'],
      lookup: fakeDns({ 'hooks.example.com': ['127.0.0.1'] }),
      ...extra,
    });
  }

  it('sends the body, headers and idempotency key and returns the parsed answer', async () => {
    const caller = trustedCaller();
    const outcome = await caller.call(
      httpCall(`http://hooks.example.com:${target.port}/hook`, { headers: { 'X-Team': 'qa', Host: 'evil' } }),
      { idempotencyKey: 'key-1' },
    );
    await caller.close();
    expect(outcome).toMatchObject({ class: 'ok', httpStatus: 200, data: { ok: true } });
    const seen = target.requests.at(-1);
    expect(seen).toMatchObject({ method: 'POST', url: '/hook', body: '{"hello":"world"}' });
    expect(seen?.headers).toMatchObject({
      'x-team': 'qa',
      'idempotency-key': 'key-1',
      'content-type': 'application/json',
      host: `hooks.example.com:${target.port}`,
    });
  });

  it('does not follow a redirect (here to the metadata address)', async () => {
    const caller = trustedCaller();
    const outcome = await caller.call(httpCall(`http://hooks.example.com:${target.port}/redirect`));
    await caller.close();
    expect(outcome).toMatchObject({ class: 'permanent', httpStatus: 302 });
    expect(outcome.errMsg).toMatch(/redirects are not followed/);
  });

  it('classifies statuses like API calls: 5xx transient, 4xx permanent', async () => {
    const caller = trustedCaller();
    expect((await caller.call(httpCall(`http://hooks.example.com:${target.port}/fail`))).class).toBe(
      'transient',
    );
    expect((await caller.call(httpCall(`http://hooks.example.com:${target.port}/missing`))).class).toBe(
      'permanent',
    );
    await caller.close();
  });

  it('refuses a response over the size cap', async () => {
    const caller = trustedCaller({ maxResponseBytes: 1000 });
    const outcome = await caller.call(httpCall(`http://hooks.example.com:${target.port}/big`));
    await caller.close();
    expect(outcome.class).toBe('permanent');
    expect(outcome.errMsg).toMatch(/too large|larger than/);
  });

  it('a target that does not answer is a transient outcome after the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const caller = createHttpActionCaller({
      allowedHosts: ['slow.example.com'],
      trustedAddresses: ['127.0.0.1'],
      lookup: fakeDns({ 'slow.example.com': ['127.0.0.1'] }),
      timeoutMs: 200,
    });
    const outcome = await caller.call(
      httpCall(`http://slow.example.com:${(silent.address() as AddressInfo).port}/`),
    );
    await caller.close();
    silent.closeAllConnections();
    await new Promise<void>((done) => silent.close(() => done()));
    expect(outcome.class).toBe('transient');
    expect(outcome.networkError).toMatch(/\S/);
  });
});

describe('retry classes of a failed attempt (#17.8)', () => {
  // Each of these was transient: retried ten times, holding the rule's other runs behind it.
  async function outcomeOf(extra: Partial<ApiCall>, host = 'hooks.example.com') {
    const caller = createHttpActionCaller({
      allowedHosts: [host],
      trustedAddresses: ['127.0.0.1'],
      lookup: fakeDns({ 'hooks.example.com': ['127.0.0.1'] }),
    });
    try {
      return await caller.call(httpCall(`http://${host}:${target.port}/hook`, extra));
    } finally {
      await caller.close();
    }
  }

  it.each([
    ['a header value with a line break', { headers: { 'x-note': 'a\r\nb' } }],
    ['a header name that is not a token', { headers: { 'x bad': 'v' } }],
    ['an expect header', { headers: { expect: '100-continue' } }],
  ])('%s is permanent, and nothing is sent', async (_what, extra) => {
    const before = target.requests.length;
    const outcome = await outcomeOf(extra);
    expect(outcome).toMatchObject({ class: 'permanent', errMsg: expect.stringMatching(/\S/) });
    expect(target.requests.length).toBe(before);
  });

  it('a host name that does not resolve is permanent', async () => {
    const outcome = await outcomeOf({}, 'nowhere.example.com');
    expect(outcome).toMatchObject({ class: 'permanent', networkError: 'ENOTFOUND' });
    expect(outcome.errMsg).toMatch(/nowhere\.example\.com does not resolve/);
  });

  it('a temporary DNS failure stays transient', async () => {
    const caller = createHttpActionCaller({
      allowedHosts: ['flaky.example.com'],
      lookup: (_host, _opts, callback) =>
        callback(Object.assign(new Error('EAI_AGAIN'), { code: 'EAI_AGAIN' }), []),
    });
    const outcome = await caller.call(httpCall('http://flaky.example.com/hook'));
    await caller.close();
    expect(outcome).toMatchObject({ class: 'transient', networkError: 'EAI_AGAIN' });
  });
});

describe('address policy', () => {
  it.each([
    ['93.184.215.14', undefined],
    ['8.8.8.8', undefined],
    ['2606:4700:4700::1111', undefined],
    ['2001:4860:4860::8888', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::8.8.8.8', undefined],
    ['127.0.0.2', 'loopback (IANA special-purpose)'],
    ['::ffff:10.0.0.1', 'IPv4-mapped form of a private-use (IANA special-purpose) address'],
    ['64:ff9b::7f00:1', 'NAT64 form of a loopback (IANA special-purpose) address'],
    ['fe80::1%eth0', 'scoped IPv6 address'],
    ['not-an-ip', 'not an IP address'],
    // The gaps a probe found (#17.7): each used to pass and a connection was attempted.
    ['::ffff:0:7f00:1', 'not global unicast (outside 2000::/3)'],
    ['64:ff9b:1::7f00:1', 'local-use IPv4-IPv6 translation (IANA special-purpose)'],
    ['2001::1', 'Teredo (IANA special-purpose)'],
    ['2001:1ff:ffff::1', 'IETF protocol assignments (IANA special-purpose)'],
    ['5f00::1', 'segment routing (SRv6) SIDs (IANA special-purpose)'],
    ['3fff::1', 'documentation (IANA special-purpose)'],
    ['3fff:fff:ffff::1', 'documentation (IANA special-purpose)'],
    ['::7f00:1', 'not global unicast (outside 2000::/3)'],
    ['fec0::1', 'not global unicast (outside 2000::/3)'],
    ['2002:7f00:1::1', '6to4 (IANA special-purpose)'],
  ])('%s → %s', (address, reason) => {
    expect(refusedAddressReason(address)).toBe(reason);
  });

  const blocks = [
    ...IPV4_SPECIAL.map(([net, prefix]) => ({ net, prefix, bits: 32 })),
    ...IPV6_SPECIAL.map(([net, prefix]) => ({ net, prefix, bits: 128 })),
  ];
  // IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry.
  const carriesIpv4 = (net: string) => net === '::ffff:0:0' || net === '64:ff9b::';
  it.each(blocks)(
    'refuses the first, the last and an address inside $net/$prefix',
    ({ net, prefix, bits }) => {
      const first = toBigInt(net);
      const size = 1n << BigInt(bits - prefix);
      for (const n of [first, first + size - 1n, first + size / 2n]) {
        const address = fromBigInt(n, bits);
        const inside = n === first + size / 2n && carriesIpv4(net); // carries 128.0.0.0, a public address
        expect(refusedAddressReason(address), address)[inside ? 'toBeUndefined' : 'toBeDefined']();
      }
    },
  );

  it('refuses an address just past a block only when it is special itself', () => {
    // 100.64.0.0/10 ends at 100.127.255.255; 100.128.0.0 is ordinary public space.
    expect(refusedAddressReason('100.128.0.0')).toBeUndefined();
    // 2001::/23 ends at 2001:1ff:ffff:…; 2001:200:: is allocated (APNIC).
    expect(refusedAddressReason('2001:200::1')).toBeUndefined();
    // 3fff::/20 ends at 3fff:fff:ffff:…; 3fff:1000:: is ordinary global unicast.
    expect(refusedAddressReason('3fff:1000::1')).toBeUndefined();
  });
});

function toBigInt(ip: string): bigint {
  if (ip.includes('.') && !ip.includes(':')) {
    return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  }
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return words.reduce((n, word) => (n << 16n) | BigInt(parseInt(word, 16)), 0n);
}

function fromBigInt(n: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}
