import type { ConversationWithParticipants, Transcript } from '../../domain/conversations.js'
import type { MessageRecord, UserRecord } from '../../domain/events.js'

/** A user as the chat-app shows one: never a password, nor role or status. */
export function userProfile(u: UserRecord) {
  return { user_id: u.id, email: u.email, name: u.full_name, profile_picture: null }
}

export function conversation(c: ConversationWithParticipants) {
  return {
    conversation_id: c.id,
    is_ai: c.is_ai,
    assistant_id: c.assistant_id,
    participant_ids: c.participant_ids,
    created_at: c.created_at,
    last_message_at: c.last_message_at
  }
}

/**
 * Whether the chat-app shows a message: people's messages and the assistant's finished replies.
 * Tool calls, replies still streaming or failed, and deleted messages are not part of it.
 */
export function isShown(m: MessageRecord): boolean {
  if (m.deleted_at) return false
  if (m.role === 'user') return true
  if (m.role !== 'assistant') return false
  return m.status === 'completed' || (m.status === 'cancelled' && m.content !== '')
}

/** Who sent a message: the person, or for the assistant's replies the conversation's assistant. */
function senderOf(m: MessageRecord, assistantId: string | null): string | null {
  return m.role === 'user' ? m.sender_id : assistantId
}

export function transcript(t: Transcript) {
  return t.messages.filter(isShown).map((m) => ({ sender_id: senderOf(m, t.conversation.assistant_id), message: m.content, timestamp: m.created_at }))
}

export function sentMessage(m: MessageRecord) {
  return { message_id: m.id, message: m.content, timestamp: m.created_at }
}

export function socketMessage(m: MessageRecord, assistantId: string | null) {
  return { message_id: m.id, conversation_id: m.conversation_id, sender_id: senderOf(m, assistantId), message: m.content, timestamp: m.created_at }
}

export function connected(conversationId: string) {
  return { status: 'WebSocket connected' as const, conversation_id: conversationId }
}
