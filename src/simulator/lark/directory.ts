/** Look-ups in the Lark side of the tenant: people by any of their ids, chats by id. */
import type { Tenant } from '../model/tenant.ts';
import type { LarkChat, LarkUser } from '../model/types.ts';

export type UserIdType = 'open_id' | 'union_id' | 'user_id' | 'email';

export const USER_ID_TYPES: readonly UserIdType[] = ['open_id', 'union_id', 'user_id', 'email'];

export function larkUsers(tenant: Tenant): LarkUser[] {
  return tenant.data.lark.users ?? [];
}

export function findLarkUser(tenant: Tenant, type: UserIdType, id: string): LarkUser | undefined {
  return larkUsers(tenant).find((u) => u[type] === id);
}

export function findChat(tenant: Tenant, chatId: string): LarkChat | undefined {
  return (tenant.data.lark.chats ?? []).find((c) => c.chat_id === chatId);
}

/** The direct chat between the app's bot and a person. */
export function directChatId(user: LarkUser): string {
  return `oc_p2p_${user.open_id}`;
}
