/** A generic `deploys` webhook and a rule that comments on the work item a deploy names. */
import { signStandardWebhook } from '../../../src/ingest/http/standard-webhook.ts';

export const COMMENT_ON_DEPLOY = `id: comment-on-deploy
description: comments on the work item a deploy names
on:
  event: webhook.deploys
do:
  - comment:
      text: 'deployed {{event.payload.version}}'
      target: { project: demo, type: issue, id: '{{event.payload.item}}' }
`;

/** POSTs a Standard-Webhooks-signed delivery to the engine's `/webhooks/deploys`. */
export function postDeploy(
  engineUrl: string,
  secret: string,
  id: string,
  payload: unknown,
): Promise<Response> {
  const body = JSON.stringify(payload);
  const at = Math.floor(Date.now() / 1000);
  return fetch(`${engineUrl}/webhooks/deploys`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(at),
      'webhook-signature': signStandardWebhook(id, at, body, secret),
    },
    body,
  });
}
