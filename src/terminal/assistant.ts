import type { ConversationService } from '../domain/conversations.js'
import type { DispatchService } from '../domain/dispatch.js'
import type { EventSubscriptions } from '../domain/events.js'
import type { AssistantStarter } from './manager.js'
import type { Runner } from './runner.js'

/** Line ends as a terminal shows them. */
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n')
const PROMPT = '\r\n> '

/**
 * The runner of a `claude` session: a line-edited prompt on the session's terminal. Each line
 * typed is sent as a message to the session's conversation with the dispatch assistant; the
 * assistant's reply streams back as output. Typed characters are echoed, backspace erases.
 */
export function assistantStarter(deps: {
  dispatch: Pick<DispatchService, 'openConversation'>
  conversations: Pick<ConversationService, 'send'>
  events: EventSubscriptions
}): AssistantStarter {
  return async (session) => {
    const { conversationId, speaker } = deps.dispatch.openConversation(session.id)
    const listeners: ((data: string) => void)[] = []
    const emit = (data: string) => {
      for (const l of listeners) l(data)
    }
    let line = ''
    let finish: (code: number | null) => void = () => {}
    const exit = new Promise<number | null>((resolve) => {
      finish = resolve
    })
    const unsubscribe = deps.events.subscribe((e) => {
      if (!('conversationId' in e) || e.conversationId !== conversationId) return
      if (e.type === 'message.delta') emit(crlf(e.delta))
      else if (e.type === 'message.completed' && e.message.role === 'assistant') emit(PROMPT)
      else if (e.type === 'assistant.error') emit(`\r\n[${e.code}] ${crlf(e.message)}${PROMPT}`)
    })
    const runner: Runner = {
      exit,
      onData: (listener) => {
        listeners.push(listener)
        queueMicrotask(() => listener(`Assistant session in ${session.workspace_path}. Type a line and press Enter.${PROMPT}`))
      },
      write(data) {
        for (const ch of data) {
          if (ch === '\r' || ch === '\n') {
            const content = line.trim()
            line = ''
            emit('\r\n')
            if (!content) {
              emit('> ')
              continue
            }
            try {
              deps.conversations.send(speaker, conversationId, { content })
            } catch (err) {
              emit(`[error] ${err instanceof Error ? err.message : String(err)}${PROMPT}`)
            }
          } else if (ch === '\u007f' || ch === '\b') {
            if (line.length > 0) {
              line = line.slice(0, -1)
              emit('\b \b')
            }
          } else if (ch >= ' ') {
            line += ch
            emit(ch)
          }
        }
      },
      resize: () => {},
      async stop() {
        unsubscribe()
        finish(0)
      }
    }
    return { runner, conversationId }
  }
}
