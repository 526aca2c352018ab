/** Feishu Project webhooks: what the HTTP route and the CLI use. */
export { normalizeFeishuWebhook, isNewFormat, type NormalizeOptions } from './normalize-webhook.ts';
export { extractWebhookToken, LEGACY_TOKEN_HEADER, type HeaderBag } from './webhook-token.ts';
export { looksLikeFeishuWebhook } from './detect.ts';
