/**
 * With LARK_ENCRYPT_KEY set, only an encrypted delivery with a valid, fresh X-Lark-Signature is
 * stored: a plaintext body, a missing or wrong signature and a stale timestamp (also when the
 * refused delivery comes again without the headers) are 401 and store nothing. Lark's own
 * url_verification challenge, which it sends encrypted, is still answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptLarkPayload, larkSignature } from '../../src/ingest/chat/lark-crypto.ts';
import { startTriggerEngine, type TriggerTestEngine } from '../fixtures/chat/engine.ts';
import {
  challenge,
  ENCRYPT_KEY,
  encrypted,
  messageEvent,
  postChat,
  VERIFICATION_TOKEN,
} from '../fixtures/chat/lark-events.ts';

const ECHO = `
id: echo-command
on:
  command: 'echo {text}'
do:
  - reply: { text: '{{command.args.text}}' }
`;

let t: TriggerTestEngine;

beforeAll(async () => {
  t = await startTriggerEngine({
    rules: { 'echo-command.yaml': ECHO },
    env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN, LARK_ENCRYPT_KEY: ENCRYPT_KEY },
  });
});
afterAll(async () => {
  await t?.close();
});

let n = 0;
function message(): { body: Record<string, unknown>; messageId: string } {
  n += 1;
  const messageId = `om_verify_${n}_${Date.now()}`;
  return { body: messageEvent({ text: `echo hello ${n}`, messageId }), messageId };
}

const fresh = () => ({ key: ENCRYPT_KEY, timestamp: t.clock.now() });

async function expectNothingStored(messageId: string): Promise<void> {
  await t.engine.idle();
  expect(await t.engine.stores.events.get(`chat:${messageId}`)).toBeUndefined();
}

function expectUnauthorized(answer: { status: number; body: Record<string, unknown> }, why: RegExp): void {
  expect(answer.status).toBe(401);
  const error = answer.body.error as { code: string; message: string };
  expect(error.code).toBe('AP_UNAUTHORIZED');
  expect(error.message).toMatch(why);
}

describe('with LARK_ENCRYPT_KEY set', () => {
  it('stores an encrypted delivery with a valid, fresh signature', async () => {
    const { body, messageId } = message();
    const answer = await postChat(t.engine.url, encrypted(body), { sign: fresh() });
    expect(answer).toMatchObject({ status: 200, body: { ok: true, eventId: `chat:${messageId}` } });
  });

  it('refuses a plaintext body, even with the right verification token: 401, nothing stored', async () => {
    const { body, messageId } = message();
    expectUnauthorized(await postChat(t.engine.url, body), /must be encrypted/);
    expectUnauthorized(await postChat(t.engine.url, body, { sign: fresh() }), /must be encrypted/);
    await expectNothingStored(messageId);
  });

  it('refuses an encrypted delivery without X-Lark-Signature', async () => {
    const { body, messageId } = message();
    expectUnauthorized(await postChat(t.engine.url, encrypted(body)), /X-Lark-Signature is missing/);
    await expectNothingStored(messageId);
  });

  it('refuses a wrong signature', async () => {
    const { body, messageId } = message();
    const answer = await postChat(t.engine.url, encrypted(body), {
      sign: { key: 'not-the-encrypt-key', timestamp: t.clock.now() },
    });
    expectUnauthorized(answer, /does not match/);
    await expectNothingStored(messageId);
  });

  it('refuses a signature without its timestamp', async () => {
    const { body, messageId } = message();
    const text = JSON.stringify(encrypted(body));
    const signature = larkSignature({ timestamp: '', nonce: '', body: Buffer.from(text) }, ENCRYPT_KEY);
    const answer = await fetch(`${t.engine.url}/chat/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lark-signature': signature },
      body: text,
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({
      error: { message: expect.stringMatching(/Timestamp is missing/) },
    });
    await expectNothingStored(messageId);
  });

  it('answers every unsigned body that is not a challenge alike, whether it decrypts or not', async () => {
    const { body } = message();
    const bodies = [
      encrypted(body),
      encrypted(body, 'another-key'),
      { encrypt: 'bm90IGVuY3J5cHRlZA==' },
      { encrypt: encryptLarkPayload('not json', ENCRYPT_KEY) },
    ];
    const answers = await Promise.all(bodies.map((sealed) => postChat(t.engine.url, sealed)));
    for (const answer of answers) expectUnauthorized(answer, /X-Lark-Signature is missing/);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
  });

  it('refuses a stale timestamp, and the same delivery sent again without the headers', async () => {
    const { body, messageId } = message();
    const sealed = encrypted(body);
    const stale = { key: ENCRYPT_KEY, timestamp: t.clock.now() - 10 * 60_000 };
    expectUnauthorized(await postChat(t.engine.url, sealed, { sign: stale }), /too far from now/);
    expectUnauthorized(await postChat(t.engine.url, sealed), /X-Lark-Signature is missing/);
    await expectNothingStored(messageId);
  });

  it("answers Lark's encrypted url_verification challenge, signed or not; a plaintext one is 401", async () => {
    expect(await postChat(t.engine.url, encrypted(challenge()))).toEqual({
      status: 200,
      body: { challenge: 'ch-7f3a' },
    });
    expect((await postChat(t.engine.url, encrypted(challenge()), { sign: fresh() })).status).toBe(200);
    expectUnauthorized(await postChat(t.engine.url, challenge()), /must be encrypted/);
  });

  it('still checks the verification token inside a signed delivery', async () => {
    const { messageId } = message();
    const forged = messageEvent({ text: 'echo x', messageId, token: 'forged' });
    expectUnauthorized(
      await postChat(t.engine.url, encrypted(forged), { sign: fresh() }),
      /verification token/,
    );
    await expectNothingStored(messageId);
  });
});

describe('without LARK_ENCRYPT_KEY', () => {
  let plain: TriggerTestEngine;
  beforeAll(async () => {
    plain = await startTriggerEngine({
      rules: { 'echo-command.yaml': ECHO },
      env: { LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN },
    });
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('takes plaintext deliveries with the verification token, and refuses encrypted ones (400)', async () => {
    const url = plain.engine.url;
    expect(await postChat(url, challenge())).toEqual({ status: 200, body: { challenge: 'ch-7f3a' } });
    const { body, messageId } = message();
    expect(await postChat(url, body)).toMatchObject({ status: 200, body: { eventId: `chat:${messageId}` } });
    const sealed = await postChat(url, encrypted(message().body));
    expect(sealed.status).toBe(400);
    expect((sealed.body.error as { message: string }).message).toMatch(/LARK_ENCRYPT_KEY is not set/);
  });
});
