/** Attachments: multipart upload to a multi_file field, generic upload, download, delete. */
import { randomUUID } from 'node:crypto';
import { optString, optStrings, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import type { FieldDef, WorkItem } from '../model/types.ts';
import { assertWritable, spaceOf, targetOf } from './common.ts';

interface Part {
  name: string;
  filename?: string;
  type: string;
  data: Buffer;
}

/** Just enough multipart/form-data parsing for one file and a few text parts. */
function parseMultipart(ctx: Ctx): Part[] {
  const contentType = String(ctx.headers['content-type'] ?? '');
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!contentType.startsWith('multipart/form-data') || !boundary || !ctx.rawBody)
    throw fail(20040, 'Request Form Is Null');
  const marker = `--${boundary[1] ?? boundary[2]}`;
  const text = ctx.rawBody.toString('latin1');
  return text
    .split(marker)
    .slice(1, -1)
    .map((chunk) => {
      const split = chunk.indexOf('\r\n\r\n');
      const head = chunk.slice(0, split);
      const body = chunk.slice(split + 4, chunk.endsWith('\r\n') ? -2 : undefined);
      return {
        name: /name="([^"]*)"/.exec(head)?.[1] ?? '',
        filename: /filename="([^"]*)"/.exec(head)?.[1],
        type: /Content-Type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream',
        data: Buffer.from(body, 'latin1'),
      };
    });
}

function fileField(ctx: Ctx, item: WorkItem, key: string | undefined): FieldDef {
  if (!key) throw fail(20025);
  const def = ctx.tenant.field(item.project_key, item.work_item_type_key, key);
  if (!def || def.field_type_key !== 'multi_file')
    throw fail(20070, `field ${key} is not an attachment field`);
  return def;
}

function store(ctx: Ctx, part: Part): { uid: string; name: string; size: string; type: string; url: string } {
  const uid = randomUUID();
  const name = part.filename ?? 'file';
  ctx.core.files.set(uid, { name, type: part.type, bytes: part.data });
  return {
    uid,
    name,
    size: `${(part.data.length / 1024).toFixed(1)}KB`,
    type: part.type,
    url: `sim://files/${uid}`,
  };
}

function uploadAttachment(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const parts = parseMultipart(ctx);
  const key = parts.find((p) => p.name === 'field_key' || p.name === 'field_alias')?.data.toString('utf8');
  const def = fileField(ctx, item, key);
  const file = parts.find((p) => p.name === 'file');
  if (!file) throw fail(20005, 'file is required');
  assertWritable(item);
  if (file.data.length === 0) return;
  const list = (item.fields[def.field_key] as unknown[] | undefined) ?? [];
  item.fields[def.field_key] = [...list, store(ctx, file)];
  ctx.changes.touch(item);
}

function upload(ctx: Ctx) {
  spaceOf(ctx);
  const file = parseMultipart(ctx).find((p) => p.name === 'file');
  if (!file) throw fail(20005, 'file is required');
  return { data: store(ctx, file).url };
}

function download(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const uuid = reqString(ctx.body, 'uuid');
  const attached = Object.values(item.fields).some(
    (v) => Array.isArray(v) && v.some((f) => (f as { uid?: string })?.uid === uuid),
  );
  const file = ctx.core.files.get(uuid);
  if (!attached || !file) throw fail(30019, `not exist file uuids: [${uuid}]`);
  return { raw: file };
}

function remove(ctx: Ctx) {
  const space = ctx.tenant.space(reqString(ctx.body, 'project_key'));
  const item = ctx.tenant.itemInSpace(space, reqInt(ctx.body, 'work_item_id'));
  const def = fileField(ctx, item, optString(ctx.body, 'field_key') ?? optString(ctx.body, 'field_alias'));
  const uuids = optStrings(ctx.body, 'uuids');
  if (!uuids || uuids.length === 0) throw fail(20005, 'uuids is required');
  const list = (item.fields[def.field_key] as { uid: string }[] | undefined) ?? [];
  const unknown = uuids.filter((u) => !list.some((f) => f.uid === u));
  if (unknown.length > 0) throw fail(30019, `not exist file uuids: [${unknown.join(',')}]`);
  item.fields[def.field_key] = list.filter((f) => !uuids.includes(f.uid));
  ctx.changes.touch(item);
  return { data: {} };
}

const ITEM = '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id';

export const fileRoutes: RouteDef[] = [
  {
    id: 'file.uploadAttachment',
    method: 'POST',
    path: `${ITEM}/file/upload`,
    write: true,
    rawBody: true,
    handle: uploadAttachment,
  },
  {
    id: 'file.upload',
    method: 'POST',
    path: '/open_api/:project_key/file/upload',
    write: true,
    rawBody: true,
    handle: upload,
  },
  { id: 'file.download', method: 'POST', path: `${ITEM}/file/download`, handle: download },
  { id: 'file.delete', method: 'POST', path: '/open_api/file/delete', write: true, handle: remove },
];
