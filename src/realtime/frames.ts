import type { DomainEvent, MessageRecord, RecordPresenters } from '../domain/events.js'

export type Frame = Record<string, unknown> & { type: string }

/**
 * The server frame (schemas/frames.ts) a domain event becomes, or undefined for events no client
 * sees. One mapping for every transport: the WebSocket hub and the SSE stream. `seqOf` gives the
 * current seq of a conversation for events that have none of their own (status, read). A
 * conversation event's place in its conversation's event sequence goes out as `event_seq`.
 */
export function eventFrame(e: DomainEvent, seqOf: (conversationId: string) => number): Frame | undefined {
  const frame = baseFrame(e, seqOf)
  if (!frame || !('eventSeq' in e) || e.eventSeq === undefined) return frame
  return { ...frame, event_seq: e.eventSeq }
}

function baseFrame(e: DomainEvent, seqOf: (conversationId: string) => number): Frame | undefined {
  switch (e.type) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
    case 'message.completed':
      return { type: e.type, conversation_id: e.conversationId, seq: e.seq, message: e.message }
    case 'message.delta':
      return { type: 'message.delta', conversation_id: e.conversationId, seq: e.seq, message_id: e.messageId, index: e.index, delta: e.delta }
    case 'assistant.status_changed':
      return { type: 'assistant_status', conversation_id: e.conversationId, seq: seqOf(e.conversationId), assistant_id: e.assistantId, status: e.status }
    case 'assistant.error':
      return {
        type: 'error',
        code: e.code,
        message: e.message,
        conversation_id: e.conversationId,
        ...(e.messageId ? { message_id: e.messageId } : {})
      }
    case 'conversation.read':
      return { type: 'read', conversation_id: e.conversationId, seq: seqOf(e.conversationId), user_id: e.userId, last_read_seq: e.lastReadSeq }
    case 'conversation.created':
    case 'conversation.updated':
      return {
        type: 'conversation_update',
        conversation_id: e.conversation.id,
        seq: e.conversation.last_seq,
        action: e.type === 'conversation.created' ? 'created' : 'updated',
        title: e.conversation.title
      }
    case 'conversation.deleted':
      return { type: 'conversation_update', conversation_id: e.conversationId, seq: 0, action: 'deleted' }
    default:
      return undefined
  }
}

/** The frames that carry a message record in `message`. */
const MESSAGE_FRAMES = new Set(['message.created', 'message.updated', 'message.deleted', 'message.completed', 'message.ack'])

/**
 * A frame as it goes on the wire: the records it carries shown by the presenters of the surface
 * whose frames these are. Frames are built with the domain's records, so a socket that speaks
 * another surface's frames (a dialect) reads the records themselves.
 */
export function presentFrame(frame: Frame, present: RecordPresenters): Frame {
  if (!MESSAGE_FRAMES.has(frame.type) || !frame.message || typeof frame.message !== 'object') return frame
  return { ...frame, message: present.message(frame.message as MessageRecord) }
}
