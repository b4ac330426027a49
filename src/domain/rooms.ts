import type { ConversationService } from './conversations.js'
import { DomainError } from './errors.js'
import type { MessageRecord } from './events.js'
import type { Principal } from './principal.js'

/** A room: a conversation with an assistant, as real-time clients gather around it. */
export interface Room {
  id: string
  assistantId: string
  title: string | null
}

export interface CreateRoomInput {
  assistant_id: string
  title?: string
  workspace_id?: string
  participant_ids?: string[]
}

/**
 * Assistant rooms: a room is a conversation with an assistant, so its messages are the
 * conversation's (in the history, on every stream) and the assistant answers every message a
 * person posts there. Who may enter a room is who may see the conversation.
 */
export class RoomService {
  constructor(private readonly conversations: ConversationService) {}

  /** Starts a conversation with an assistant the caller may see. */
  create(p: Principal, input: CreateRoomInput): Room {
    const { detail } = this.conversations.create(p, {
      assistant_id: input.assistant_id,
      title: input.title ?? null,
      workspace_id: input.workspace_id ?? null,
      participant_ids: input.participant_ids,
      is_ai: true
    })
    return { id: detail.id, assistantId: input.assistant_id, title: detail.title }
  }

  /** The room, when the caller may see its conversation and it is with an assistant. */
  open(p: Principal, roomId: string): Room {
    const { conversation } = this.conversations.access(p.userId, roomId)
    if (!conversation.assistantId) throw new DomainError('ROOM_NOT_FOUND', 'This conversation has no assistant, so it has no room')
    return { id: conversation.id, assistantId: conversation.assistantId, title: conversation.title }
  }

  /** Posts a person's message in the room; the assistant's reply follows as events. */
  send(p: Principal, roomId: string, content: string): MessageRecord {
    this.open(p, roomId)
    return this.conversations.send(p, roomId, { content }).message
  }
}
