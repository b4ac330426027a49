import type { ConversationDetail } from '../../domain/conversations.js'
import type { IssuedChatSecret } from '../../domain/chat-secrets.js'
import type { ConversationRecord, MessageRecord, UserRecord, WorkspaceRecord } from '../../domain/events.js'

/** Domain records in the classic surface's words: `user_id`, `chat_id`, `workspace_id`, `owner`. */

export function presentUser(u: UserRecord) {
  return {
    user_id: u.id,
    email: u.email,
    full_name: u.full_name,
    role: u.role,
    is_active: u.is_active,
    created_at: u.created_at,
    updated_at: u.updated_at
  }
}

export function presentWorkspace(w: WorkspaceRecord) {
  return { workspace_id: w.id, name: w.name, owner: w.owner_id, agents: w.agents, created_at: w.created_at, updated_at: w.updated_at }
}

export function presentChat(c: ConversationRecord) {
  return {
    chat_id: c.id,
    workspace_id: c.workspace_id,
    owner: c.creator_id,
    created_by: c.creator_id,
    title: c.title,
    created_at: c.created_at,
    updated_at: c.updated_at
  }
}

export function presentMessage(m: MessageRecord) {
  return { message_id: m.id, chat_id: m.conversation_id, seq: m.seq, role: m.role, sender_id: m.sender_id, content: m.content, created_at: m.created_at }
}

export function presentChatDetail(d: ConversationDetail) {
  return { ...presentChat(d), messages: d.messages.map(presentMessage) }
}

/** A connection string: `{connection_string, created_at, expires_at, created_by}`. */
export function presentConnectionString(s: IssuedChatSecret) {
  return { connection_string: s.secret, created_at: s.created_at, expires_at: s.expires_at, created_by: s.created_by }
}

/** A message secret: `{message_string, created_at, expires_at, created_by}`. */
export function presentMessageString(s: IssuedChatSecret) {
  return { message_string: s.secret, created_at: s.created_at, expires_at: s.expires_at, created_by: s.created_by }
}
