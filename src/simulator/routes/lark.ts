/**
 * The two Lark IM calls a chat bot needs: a tenant access token for the app, and replying to
 * a message. Replies are recorded for /_sim/lark/replies; a repeated `uuid` returns the first
 * reply, as Lark de-duplicates by it.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { SimCore } from '../http/core.ts';
import { redactBody, redactHeaders } from '../http/request-log.ts';

const TTL_S = 7200;

function body(req: Request): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function answer(
  core: SimCore,
  req: Request,
  res: Response,
  route: string,
  status: number,
  payload: Record<string, unknown>,
) {
  res.status(status).json(payload);
  core.log.add({
    time: core.clock(),
    method: req.method,
    path: req.path,
    route,
    headers: redactHeaders(req.headers),
    query: { ...req.query },
    body: redactBody(body(req)),
    status,
    err_code: payload.code as number,
    err_msg: payload.msg as string,
    outcome: 'answered',
    duration_ms: 0,
  });
}

function tenantToken(core: SimCore, req: Request, res: Response): void {
  const b = body(req);
  const { app_id, app_secret } = core.tenant.data.lark;
  if (!b || typeof b.app_id !== 'string' || typeof b.app_secret !== 'string') {
    return answer(core, req, res, 'lark.tenantAccessToken', 400, {
      code: 10003,
      msg: 'invalid param: app_id and app_secret are required',
    });
  }
  if (b.app_id !== app_id || b.app_secret !== app_secret) {
    return answer(core, req, res, 'lark.tenantAccessToken', 400, { code: 10014, msg: 'app secret invalid' });
  }
  const token = `t-${randomUUID().replaceAll('-', '')}`;
  core.larkTokens.set(token, core.clock() + TTL_S * 1000);
  answer(core, req, res, 'lark.tenantAccessToken', 200, {
    code: 0,
    msg: 'ok',
    tenant_access_token: token,
    expire: TTL_S,
  });
}

function reply(core: SimCore, req: Request, res: Response): void {
  const route = 'lark.replyMessage';
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) {
    return answer(core, req, res, route, 400, {
      code: 99991661,
      msg: 'Missing access token for authorization.',
    });
  }
  const expiresAt = core.larkTokens.get(auth.slice(7));
  if (expiresAt === undefined || expiresAt <= core.clock()) {
    return answer(core, req, res, route, 400, {
      code: 99991663,
      msg: 'Invalid access token for authorization.',
    });
  }
  const b = body(req);
  if (!b || typeof b.msg_type !== 'string' || typeof b.content !== 'string') {
    return answer(core, req, res, route, 400, {
      code: 230001,
      msg: 'invalid request: msg_type and content (a JSON string) are required',
    });
  }
  const messageId = String(req.params.message_id);
  const uuid = typeof b.uuid === 'string' ? b.uuid : undefined;
  const previous =
    uuid === undefined
      ? undefined
      : core.larkReplies.find((r) => r.uuid === uuid && r.message_id === messageId);
  let content: unknown;
  try {
    content = JSON.parse(b.content);
  } catch {
    return answer(core, req, res, route, 400, {
      code: 230001,
      msg: 'invalid request: content is not valid JSON',
    });
  }
  const record = previous ?? {
    message_id: messageId,
    reply_message_id: `om_${randomUUID().replaceAll('-', '')}`,
    msg_type: b.msg_type,
    content,
    reply_in_thread: b.reply_in_thread === true,
    uuid,
    time: core.clock(),
  };
  if (!previous) core.larkReplies.push(record);
  answer(core, req, res, route, 200, {
    code: 0,
    msg: 'success',
    data: {
      message_id: record.reply_message_id,
      root_id: messageId,
      parent_id: messageId,
      msg_type: record.msg_type,
      create_time: String(record.time),
      update_time: String(record.time),
      deleted: false,
      updated: false,
      chat_id: 'oc_sim_chat',
      sender: { id: core.tenant.data.lark.app_id, id_type: 'app_id', sender_type: 'app' },
      body: { content: b.content },
    },
  });
}

export function mountLark(router: Router, core: SimCore): void {
  router.post('/open-apis/auth/v3/tenant_access_token/internal', (req, res) => tenantToken(core, req, res));
  router.post('/open-apis/im/v1/messages/:message_id/reply', (req, res) => reply(core, req, res));
}
