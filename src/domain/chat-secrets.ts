import { and, eq, lt } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { chatSecrets } from '../db/schema.js'
import type { AccessOptions } from './access.js'
import type { AuthService } from './auth.js'
import type { ChatService } from './chats.js'
import { isoIn, nowIso } from './clock.js'
import type { ConversationService } from './conversations.js'
import { randomToken, sha256 } from './crypto.js'
import { DomainError, isDomainError } from './errors.js'
import type { MessageRecord } from './events.js'
import type { Principal } from './principal.js'

/** `connection`: joins a chat's real-time stream. `message`: posts messages in it. */
export type ChatSecretKind = 'connection' | 'message'

/** How long a secret works. */
export const CHAT_SECRET_TTL_MS: Record<ChatSecretKind, number> = { connection: 3600_000, message: 3600_000 }

const PREFIX: Record<ChatSecretKind, string> = { connection: 'csc_', message: 'csm_' }

/** A secret as issued: the only time it is seen in the clear. */
export interface IssuedChatSecret {
  secret: string
  kind: ChatSecretKind
  chat_id: string
  created_by: string
  created_at: string
  expires_at: string
}

/** A redeemed secret: whose it is, and for which chat. */
export interface ChatGrant {
  chatId: string
  principal: Principal
}

/**
 * Secrets for chatting over a socket without a bearer token: a connection string to join one
 * chat's stream and a message secret to post in it. Each is random, stored only as a hash, for one
 * chat and the user who asked for it, and refused once expired. A secret works only while its user
 * may still do what it was issued for.
 */
export class ChatSecretService {
  constructor(
    private readonly db: Db,
    private readonly chats: Pick<ChatService, 'access'>,
    private readonly conversations: Pick<ConversationService, 'send'>,
    private readonly auth: Pick<AuthService, 'principalForUser'>
  ) {}

  /** Issues a secret of a kind for a chat: the caller must be able to see it (connection) or post in it (message). */
  issue(p: Principal, chatId: string, kind: ChatSecretKind, options: AccessOptions = {}): IssuedChatSecret {
    this.chats.access(p, chatId, kind === 'connection' ? 'read' : 'write', options)
    const secret = randomToken(PREFIX[kind])
    const createdAt = nowIso()
    const expiresAt = isoIn(CHAT_SECRET_TTL_MS[kind])
    this.db.delete(chatSecrets).where(lt(chatSecrets.expiresAt, createdAt)).run()
    this.db
      .insert(chatSecrets)
      .values({ secretHash: sha256(secret), kind, conversationId: chatId, createdBy: p.userId, createdAt, expiresAt })
      .run()
    return { secret, kind, chat_id: chatId, created_by: p.userId, created_at: createdAt, expires_at: expiresAt }
  }

  /** Opens a chat's stream with a connection string: INVALID_CHAT_SECRET when unknown, expired or no longer allowed. */
  connect(connectionString: unknown): ChatGrant {
    return this.redeem('connection', connectionString, 'read')
  }

  /** Posts a message in a chat with a message secret issued for that chat. */
  send(chatId: string, messageSecret: unknown, content: string): MessageRecord {
    const grant = this.redeem('message', messageSecret, 'write', chatId)
    return this.conversations.send(grant.principal, grant.chatId, { content }).message
  }

  private redeem(kind: ChatSecretKind, secret: unknown, need: 'read' | 'write', chatId?: string): ChatGrant {
    const refused = () => new DomainError('INVALID_CHAT_SECRET', `Invalid or expired ${kind === 'connection' ? 'connection string' : 'message secret'}`)
    if (typeof secret !== 'string' || !secret.startsWith(PREFIX[kind])) throw refused()
    const row = this.db
      .select()
      .from(chatSecrets)
      .where(and(eq(chatSecrets.secretHash, sha256(secret)), eq(chatSecrets.kind, kind)))
      .get()
    if (!row || row.expiresAt <= nowIso() || (chatId !== undefined && row.conversationId !== chatId)) throw refused()
    try {
      const principal = this.auth.principalForUser(row.createdBy, 'chat_secret')
      this.chats.access(principal, row.conversationId, need)
      return { chatId: row.conversationId, principal }
    } catch (e) {
      // The user was disabled or lost access to the chat since: the secret no longer works.
      if (isDomainError(e)) throw refused()
      throw e
    }
  }
}
