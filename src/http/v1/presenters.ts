import type { Static } from '@sinclair/typebox'
import type { ApiKey, CreatedApiKey } from '../../../schemas/api-keys.js'
import type { Assistant } from '../../../schemas/assistants.js'
import type { Attachment, Conversation, ConversationDetail, Message, MessageHistory, Participant } from '../../../schemas/conversations.js'
import type { File } from '../../../schemas/files.js'
import type { Tool } from '../../../schemas/tools.js'
import type { User } from '../../../schemas/users.js'
import type { CreatedWebhook, Webhook, WebhookDelivery } from '../../../schemas/webhooks.js'
import type { Workspace, WorkspaceAgent, WorkspaceMember } from '../../../schemas/workspaces.js'
import type { CreatedApiKeyRecord, ApiKeyRecord } from '../../domain/api-keys.js'
import type { AssistantRecord } from '../../domain/assistants.js'
import type { ChatRecord } from '../../domain/chats.js'
import type { ConversationDetail as ConversationDetailRecord, ConversationSummary, History, MessageRow, ParticipantRecord } from '../../domain/conversations.js'
import { DomainError, isDomainError } from '../../domain/errors.js'
import type { Attachment as AttachmentRecord, ConversationRecord, MessageRecord, RecordPresenters, UserRecord } from '../../domain/events.js'
import type { FileRecord } from '../../domain/files.js'
import type { Page } from '../../domain/pagination.js'
import type { ToolRecord } from '../../domain/tools.js'
import type { CreatedWebhookRecord, WebhookDeliveryRecord, WebhookRecord } from '../../domain/webhooks.js'
import type { CallerWorkspaceRecord, WorkspaceAgentRecord, WorkspaceMemberRecord } from '../../domain/workspaces.js'

/*
 * v1's presenters: the domain's records in v1's wire shapes. Each picks its fields one by one, so a
 * field the domain adds to a record reaches no client until v1 chooses to show it. The routes,
 * the `/ws` and SSE frames and the webhook payloads all show records through them.
 */

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
    files: c.files.map(presentFile)
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

export function presentUser(u: UserRecord): Static<typeof User> {
  return {
    id: u.id,
    email: u.email,
    full_name: u.full_name,
    role: u.role,
    is_active: u.is_active,
    created_at: u.created_at,
    updated_at: u.updated_at
  }
}

/** An attachment with only the keys it has (a link has no `file_id`, a file no `url`). */
export function presentAttachment(a: AttachmentRecord): Static<typeof Attachment> {
  const out: Static<typeof Attachment> = { type: a.type }
  if (a.url !== undefined) out.url = a.url
  if (a.file_id !== undefined) out.file_id = a.file_id
  if (a.name !== undefined) out.name = a.name
  if (a.content_type !== undefined) out.content_type = a.content_type
  if (a.size !== undefined) out.size = a.size
  return out
}

export function presentMessage(m: MessageRecord): Static<typeof Message> {
  return {
    id: m.id,
    conversation_id: m.conversation_id,
    seq: m.seq,
    role: m.role,
    sender_id: m.sender_id,
    content: m.content,
    attachments: m.attachments.map(presentAttachment),
    status: m.status,
    tool_call: m.tool_call,
    client_msg_id: m.client_msg_id,
    created_at: m.created_at,
    updated_at: m.updated_at,
    edited_at: m.edited_at,
    deleted_at: m.deleted_at
  }
}

/** A conversation as events and webhooks carry it: without the caller's read state. */
export type ConversationEventBody = Omit<Static<typeof Conversation>, 'last_message_at' | 'unread_count' | 'model_id' | 'model_api_source'>

export function presentConversationEvent(c: ConversationRecord): ConversationEventBody {
  return {
    id: c.id,
    title: c.title,
    assistant_id: c.assistant_id,
    workspace_id: c.workspace_id,
    creator_id: c.creator_id,
    is_ai: c.is_ai,
    last_seq: c.last_seq,
    created_at: c.created_at,
    updated_at: c.updated_at
  }
}

export function presentConversation(c: ConversationSummary): Static<typeof Conversation> {
  return {
    ...presentConversationEvent(c),
    last_message_at: c.last_message_at,
    unread_count: c.unread_count,
    model_id: c.model_id,
    model_api_source: c.model_api_source
  }
}

export function presentParticipant(p: ParticipantRecord): Static<typeof Participant> {
  return { user_id: p.user_id, last_read_seq: p.last_read_seq, joined_at: p.joined_at }
}

export function presentConversationDetail(c: ConversationDetailRecord): Static<typeof ConversationDetail> {
  return { ...presentConversation(c), participants: c.participants.map(presentParticipant), messages: c.messages.map(presentMessage) }
}

export function presentHistory(h: History): Static<typeof MessageHistory> {
  return { items: h.items.map(presentMessage), has_more: h.has_more, last_seq: h.last_seq }
}

export function presentWorkspace(w: CallerWorkspaceRecord): Static<typeof Workspace> {
  return {
    id: w.id,
    name: w.name,
    path: w.path,
    status: w.status,
    owner_id: w.owner_id,
    role: w.role,
    agents: w.agents,
    member_count: w.member_count,
    last_activity_at: w.last_activity_at,
    created_at: w.created_at,
    updated_at: w.updated_at
  }
}

export function presentWorkspaceMember(m: WorkspaceMemberRecord): Static<typeof WorkspaceMember> {
  return { user_id: m.user_id, email: m.email, full_name: m.full_name, role: m.role, joined_at: m.joined_at }
}

export function presentWorkspaceAgent(a: WorkspaceAgentRecord): Static<typeof WorkspaceAgent> {
  return { assistant_id: a.assistant_id, name: a.name, description: a.description, status: a.status, attached_at: a.attached_at }
}

/** An assistant: its prompt and tools only when the record has them (for its owner and admins). */
export function presentAssistant(a: AssistantRecord): Static<typeof Assistant> {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    personality: a.personality,
    ...(a.system_prompt !== undefined ? { system_prompt: a.system_prompt } : {}),
    ...(a.tools !== undefined ? { tools: a.tools } : {}),
    model: a.model,
    temperature: a.temperature,
    status: a.status,
    visibility: a.visibility,
    category: a.category,
    owner_id: a.owner_id,
    created_at: a.created_at,
    updated_at: a.updated_at
  }
}

/** A tool: the URL and method of an `http` tool only when the record has them (for admins). */
export function presentTool(t: ToolRecord): Static<typeof Tool> {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    category: t.category,
    parameters: t.parameters,
    kind: t.kind,
    ...(t.url !== undefined ? { url: t.url } : {}),
    ...(t.method !== undefined ? { method: t.method } : {}),
    created_at: t.created_at,
    updated_at: t.updated_at
  }
}

export function presentFile(f: FileRecord): Static<typeof File> {
  return {
    fileid: f.id,
    filename: f.filename,
    uploaded_at: f.created_at,
    userid: f.owner_id,
    content_type: f.content_type,
    size: f.size,
    kind: f.kind,
    chat_id: f.conversation_id
  }
}

export function presentApiKey(k: ApiKeyRecord): Static<typeof ApiKey> {
  return { id: k.id, name: k.name, prefix: k.prefix, created_at: k.created_at, last_used_at: k.last_used_at }
}

export function presentCreatedApiKey(k: CreatedApiKeyRecord): Static<typeof CreatedApiKey> {
  return { ...presentApiKey(k), key: k.key }
}

export function presentWebhook(w: WebhookRecord): Static<typeof Webhook> {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    is_active: w.is_active,
    consecutive_failures: w.consecutive_failures,
    disabled_at: w.disabled_at,
    disabled_reason: w.disabled_reason,
    created_at: w.created_at,
    updated_at: w.updated_at
  }
}

export function presentCreatedWebhook(w: CreatedWebhookRecord): Static<typeof CreatedWebhook> {
  return { ...presentWebhook(w), secret: w.secret }
}

export function presentWebhookDelivery(d: WebhookDeliveryRecord): Static<typeof WebhookDelivery> {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    message_id: d.message_id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.next_attempt_at,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    last_duration_ms: d.last_duration_ms,
    delivered_at: d.delivered_at,
    created_at: d.created_at,
    updated_at: d.updated_at,
    payload: d.payload
  }
}

/** The records v1's real-time frames (`/ws`, SSE, Socket.IO rooms) and webhook payloads carry, in v1's shapes. */
export const v1RecordPresenters: RecordPresenters = {
  message: presentMessage,
  conversation: presentConversationEvent,
  user: presentUser
}
