import type { ChatRecord } from '../../domain/chats.js'
import type { MessageRow } from '../../domain/conversations.js'
import { DomainError, isDomainError } from '../../domain/errors.js'
import type { Page } from '../../domain/pagination.js'

/** v1's page envelope: the page with `pages`, `has_next` and `has_prev`, each item presented. */
export function v1Page<T, U = T>(page: Page<T>, present?: (item: T) => U) {
  const pages = Math.ceil(page.total / page.size)
  return {
    items: present ? page.items.map(present) : (page.items as unknown as U[]),
    total: page.total,
    page: page.page,
    size: page.size,
    pages,
    has_next: page.page < pages,
    has_prev: page.page > 1
  }
}

/** A chat in the words of v1's chat routes: a conversation with a model. */
export function presentChat(c: ChatRecord) {
  return {
    chat_id: c.conversation.id,
    user_id: c.conversation.creatorId,
    current_model_id: c.conversation.modelId,
    current_model_api_source: c.conversation.modelApiSource,
    created_timestamp: c.conversation.createdAt,
    files: c.files
  }
}

/** A message of a chat: the ids of its attached files, not the attachments. */
export function presentChatMessage(m: MessageRow) {
  const files = (m.attachments ?? [])
    .map((a) => (a && typeof a === 'object' && 'file_id' in a ? (a as { file_id?: unknown }).file_id : undefined))
    .filter((id): id is string => typeof id === 'string')
  return { message_id: m.id, chat_id: m.conversationId, role: m.role, content: m.content, files, timestamp: m.createdAt }
}

/** The chat routes speak of chats, not conversations, in their errors. */
export function asChatError(e: unknown): unknown {
  return isDomainError(e) && e.code === 'CONVERSATION_NOT_FOUND' ? new DomainError('CHAT_NOT_FOUND', 'Chat not found') : e
}
