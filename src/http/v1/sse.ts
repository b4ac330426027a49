import type { Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { StreamDoneEvent } from '../../../schemas/frames.js'
import type { SendResult } from '../../domain/conversations.js'
import { type DomainEvent, reaches } from '../../domain/events.js'
import type { Principal } from '../../domain/principal.js'
import { eventFrame, presentFrame } from '../../realtime/frames.js'
import { locationOf } from '../response-headers.js'
import { openEventStream } from '../sse.js'
import { presentMessage, v1RecordPresenters } from './presenters.js'

/**
 * `POST …/messages/stream` (and `POST …/messages` with `Accept: text/event-stream`): sends the
 * message, then streams the assistant's reply to it as Server-Sent Events carrying the same frames
 * as `/ws`. A failure to send is an ordinary JSON error; once the stream has begun, a failed reply
 * is an `error` event.
 */
export async function streamReply(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  p: Principal,
  conversationId: string,
  send: () => SendResult
) {
  const queued: DomainEvent[] = []
  let write: ((e: DomainEvent) => void) | undefined
  // Listen before sending, so nothing of the reply can be missed.
  const unsubscribe = app.services.events.subscribe((e) => {
    if (!('conversationId' in e) || e.conversationId !== conversationId || !reaches(e, p.userId)) return
    if (write) write(e)
    else queued.push(e)
  })
  let result: SendResult
  try {
    result = send()
  } catch (err) {
    unsubscribe()
    throw err
  }

  if (!result.created) reply.header('idempotent-replayed', 'true')
  const location = locationOf(request, result.message)
  if (location) reply.header('location', location)
  const stream = openEventStream(request, reply, 201)
  stream.send(
    'message.created',
    { type: 'message.created', conversation_id: conversationId, seq: result.message.seq, message: presentMessage(result.message) },
    result.message.seq
  )

  const pending = app.services.replies.replyTo(result.message.id)
  const forward = (e: DomainEvent) => {
    if (e.type === 'message.created' && e.message.id === result.message.id) return
    const frame = eventFrame(e, (id) => app.services.conversations.lastSeq(id))
    if (frame)
      stream.send(frame.type, presentFrame(frame, v1RecordPresenters), 'seq' in frame && frame.type.startsWith('message.') ? (frame.seq as number) : undefined)
  }
  const heartbeat = setInterval(() => stream.comment('keep-alive'), 15_000)
  // The client going away ends the stream, not the reply: others may be watching it.
  stream.signal.addEventListener('abort', () => {
    clearInterval(heartbeat)
    unsubscribe()
  })
  write = forward
  for (const e of queued.splice(0)) forward(e)
  const done: Static<typeof StreamDoneEvent> = { type: 'done', outcome: pending ? await pending : null }
  stream.send('done', done)
  clearInterval(heartbeat)
  unsubscribe()
  stream.close()
}
