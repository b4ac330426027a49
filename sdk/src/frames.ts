/**
 * The frames of `/ws` and the events of a streamed send, typed from the schemas the server
 * validates and builds them with. Type-only: nothing of the schemas reaches a bundle.
 */
import type { Static } from '@sinclair/typebox'
import type {
  AssistantStatusFrame,
  ClientFrame,
  ErrorFrame,
  MessageAckFrame,
  MessageCompletedFrame,
  MessageCreatedFrame,
  MessageDeltaFrame,
  ReadyFrame,
  ServerFrames,
  StreamDoneEvent,
  SubscribedFrame
} from '../../schemas/frames.js'

/** A frame a client sends on `/ws`: `auth`, `subscribe`, `unsubscribe`, `typing`, `read`, `message.send` or `ping`. */
export type WsClientFrame = Static<typeof ClientFrame>
/** A frame the server sends on `/ws`. */
export type WsServerFrame = Static<(typeof ServerFrames)[number]>
/** The server frame of one `type`. */
export type WsServerFrameOf<T extends WsServerFrame['type']> = Extract<WsServerFrame, { type: T }>

export type WsReady = Static<typeof ReadyFrame>
export type WsSubscribed = Static<typeof SubscribedFrame>
export type WsMessageCreated = Static<typeof MessageCreatedFrame>
export type WsMessageDelta = Static<typeof MessageDeltaFrame>
export type WsMessageCompleted = Static<typeof MessageCompletedFrame>
export type WsMessageAck = Static<typeof MessageAckFrame>
export type WsAssistantStatus = Static<typeof AssistantStatusFrame>
export type WsError = Static<typeof ErrorFrame>

/** The last event of a streamed send: how the reply ended (null when nobody answers). */
export type StreamDone = Static<typeof StreamDoneEvent>
/** An event of a streamed send (`sendMessageStream`): the `/ws` frames of the message and its reply, then `done`. */
export type StreamEvent = WsServerFrame | StreamDone
