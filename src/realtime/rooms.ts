import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Namespace, Server, Socket } from 'socket.io'
import { type MessageChunkEvent, RoomClientEvents, type RoomCreatedEvent, type RoomErrorEvent, type RoomJoinedEvent } from '../../schemas/rooms.js'
import type { DomainEvent, MessageRecord, RecordPresenters } from '../domain/events.js'
import { isDomainError, type Principal, type Services } from '../domain/index.js'
import './formats.js'
import { authenticateHandshake } from './socketio.js'

/** The namespace of assistant rooms. */
export const ASSISTANT_ROOMS_NAMESPACE = '/assistant/realtime'

/** A socket of the namespace; the handshake put its user in `data.principal`. */
type RoomSocket = Socket & { data: { principal: Principal } }
type ClientEventName = keyof typeof RoomClientEvents
type Log = { error(obj: unknown, msg?: string): void }

const checks = Object.fromEntries(Object.entries(RoomClientEvents).map(([name, schema]) => [name, TypeCompiler.Compile(schema as TSchema)])) as {
  [K in ClientEventName]: TypeCheck<(typeof RoomClientEvents)[K]>
}

/** The Socket.IO room of a conversation (prefixed, so it never meets a socket's own room). */
const channel = (roomId: string) => `room:${roomId}`

/**
 * The default namespace (authenticated, nothing more) and `/assistant/realtime`: rooms around
 * conversations with assistants. The rules (who creates, joins and posts) are the RoomService's;
 * this adapter validates events, keeps which socket is in which room, and relays the room's
 * messages from the domain events: people's messages, and the assistant's reply streamed as
 * `message_chunk` events, then whole as `message_received`. Both namespaces authenticate at the
 * handshake (`authenticateHandshake`; `cookieOrigins` are the pages that may use the cookie).
 * Messages go out as `present` shows them (v1's shape). Returns a function that stops it.
 */
export function attachAssistantRooms(
  io: Server,
  services: Services,
  log: Log,
  options: { cookieOrigins: readonly string[]; present: RecordPresenters }
): () => void {
  const handshake = authenticateHandshake({ auth: services.auth, cookieOrigins: options.cookieOrigins })
  io.of('/').use(handshake)
  const nsp = io.of(ASSISTANT_ROOMS_NAMESPACE)
  nsp.use(handshake)
  nsp.on('connection', (socket: RoomSocket) => {
    const on = <K extends ClientEventName>(name: K, handle: (payload: Static<(typeof RoomClientEvents)[K]>) => void) => {
      socket.on(name as string, (payload: unknown) => {
        const check = checks[name] as TypeCheck<TSchema>
        if (!check.Check(payload)) {
          const first = check.Errors(payload).First()
          const where = first?.path ? ` at ${first.path}` : ''
          return emitError(socket, { code: 'INVALID_EVENT', message: `Invalid ${name}${where}: ${first?.message ?? 'not an object'}`, event: name })
        }
        try {
          handle(payload as never)
        } catch (err) {
          if (!isDomainError(err)) log.error({ err, event: name }, 'assistant room event failed')
          const roomId = (payload as { room_id?: string }).room_id
          emitError(socket, {
            code: isDomainError(err) ? err.code : 'INTERNAL_ERROR',
            message: isDomainError(err) ? err.message : 'The event could not be handled',
            event: name,
            ...(roomId ? { room_id: roomId } : {})
          })
        }
      })
    }
    const principal = () => socket.data.principal

    on('create_room', (input) => {
      const room = services.rooms.create(principal(), input)
      socket.join(channel(room.id))
      const created: Static<typeof RoomCreatedEvent> = { room_id: room.id, assistant_id: room.assistantId, title: room.title }
      emit(socket, 'room_created', created)
    })
    on('join_room', ({ room_id }) => {
      const room = services.rooms.open(principal(), room_id)
      if (socket.rooms.has(channel(room.id))) return emit(socket, 'room_joined', joined(nsp, room))
      socket.to(channel(room.id)).emit('user_joined', { room_id: room.id, user_id: principal().userId })
      socket.join(channel(room.id))
      emit(socket, 'room_joined', joined(nsp, room))
    })
    on('leave_room', ({ room_id }) => {
      if (!socket.rooms.has(channel(room_id)))
        return emitError(socket, { code: 'NOT_IN_ROOM', message: 'This socket is not in that room', event: 'leave_room', room_id })
      leave(socket, room_id)
    })
    on('send_message', ({ room_id, content }) => {
      if (!socket.rooms.has(channel(room_id))) {
        return emitError(socket, { code: 'NOT_IN_ROOM', message: 'Join the room before posting in it', event: 'send_message', room_id })
      }
      // The message reaches the room (this socket included) as `message_received`, from its event.
      services.rooms.send(principal(), room_id, content)
    })
    socket.on('disconnecting', () => {
      for (const name of socket.rooms) if (name.startsWith('room:')) leave(socket, name.slice('room:'.length))
    })
  })

  const unsubscribe = services.events.subscribe((e) => relay(nsp, e, options.present))
  return unsubscribe
}

function joined(nsp: Namespace, room: { id: string; assistantId: string; title: string | null }): Static<typeof RoomJoinedEvent> {
  const users = new Set<string>()
  for (const id of nsp.adapter.rooms.get(channel(room.id)) ?? []) {
    const s = nsp.sockets.get(id) as RoomSocket | undefined
    if (s) users.add(s.data.principal.userId)
  }
  return { room_id: room.id, assistant_id: room.assistantId, title: room.title, user_ids: [...users] }
}

function leave(socket: RoomSocket, roomId: string): void {
  socket.leave(channel(roomId))
  socket.to(channel(roomId)).emit('user_left', { room_id: roomId, user_id: socket.data.principal.userId })
}

function emit(socket: RoomSocket, name: string, payload: unknown): void {
  socket.emit(name, payload)
}

function emitError(socket: RoomSocket, payload: Static<typeof RoomErrorEvent>): void {
  emit(socket, 'error', payload)
}

/** The sockets of a room whose user is in the event's audience (may still see the conversation). */
function* audienceSockets(nsp: Namespace, roomId: string, audience: string[]): Generator<RoomSocket> {
  for (const id of nsp.adapter.rooms.get(channel(roomId)) ?? []) {
    const s = nsp.sockets.get(id) as RoomSocket | undefined
    if (s && audience.includes(s.data.principal.userId)) yield s
  }
}

/** Whether a message is one a room shows: a person's, or an assistant's reply once it is final. */
function shown(m: MessageRecord): boolean {
  if (m.role === 'user') return true
  return m.role === 'assistant' && (m.status === 'completed' || m.status === 'failed' || m.status === 'cancelled')
}

function relay(nsp: Namespace, e: DomainEvent, present: RecordPresenters): void {
  switch (e.type) {
    case 'message.delta': {
      // Each chunk of a reply as the model produces it; the whole reply follows as `message_received`.
      const chunk: Static<typeof MessageChunkEvent> = { room_id: e.conversationId, message_id: e.messageId, index: e.index, delta: e.delta }
      for (const s of audienceSockets(nsp, e.conversationId, e.audience)) emit(s, 'message_chunk', chunk)
      return
    }
    case 'message.created':
    case 'message.completed': {
      if (!shown(e.message) || !nsp.adapter.rooms.has(channel(e.conversationId))) return
      const received = { room_id: e.conversationId, message: present.message(e.message) }
      for (const s of audienceSockets(nsp, e.conversationId, e.audience)) emit(s, 'message_received', received)
      return
    }
    case 'assistant.error':
      for (const s of audienceSockets(nsp, e.conversationId, e.audience)) emitError(s, { code: e.code, message: e.message, room_id: e.conversationId })
      return
    case 'conversation.deleted':
      // A deleted conversation has no room left: its sockets are told and leave it.
      for (const id of [...(nsp.adapter.rooms.get(channel(e.conversationId)) ?? [])]) {
        const s = nsp.sockets.get(id) as RoomSocket | undefined
        if (!s) continue
        s.leave(channel(e.conversationId))
        emitError(s, { code: 'CONVERSATION_NOT_FOUND', message: 'The conversation of this room was deleted', room_id: e.conversationId })
      }
      return
    default:
      return
  }
}
