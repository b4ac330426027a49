import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { ChatFileParams, ChatIdParams, Chat, ChatListQuery, ChatMessagePage, ChatPage, CreateChatRequest } from '../../../schemas/chat.js'
import { File, FilePage, UploadFilesRequest } from '../../../schemas/files.js'
import { DomainError } from '../../domain/errors.js'
import type { IncomingFile } from '../../domain/files.js'
import { ConditionalHeaders } from '../etag.js'
import { discardAfterRefusal, downloadResponses, sendDownload } from './files.js'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { principalOf } from '../auth.js'
import { asChatError, presentChat, presentChatMessage, presentFile, v1Page } from './presenters.js'

const tags = ['chat']

/** The `files` parts of a multipart request, one at a time, as the file service takes them. */
async function* fileParts(request: FastifyRequest): AsyncGenerator<IncomingFile> {
  if (!request.isMultipart()) throw new DomainError('BAD_REQUEST', 'Send the files as multipart/form-data in the field `files`')
  let count = 0
  for await (const part of request.files({ limits: { files: 20 }, throwFileSizeLimit: false })) {
    if (part.fieldname !== 'files') {
      part.file.resume()
      throw new DomainError('VALIDATION_ERROR', 'Files go in the multipart field `files`', [
        { field: `body.${part.fieldname}`, message: 'is not an accepted field' }
      ])
    }
    count++
    yield { filename: part.filename, stream: part.file, truncated: () => part.file.truncated }
  }
  if (count === 0) throw new DomainError('VALIDATION_ERROR', 'At least one file is required in `files`', [{ field: 'body.files', message: 'is required' }])
}

/** Chats: the caller's conversations with a model, and their files. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { chats } = app.services
  // A missing conversation is a missing chat here; everything else goes to the app's error handler.
  app.setErrorHandler((error) => {
    throw asChatError(error)
  })

  app.get(
    '/',
    {
      schema: {
        operationId: 'listChats',
        tags,
        summary: "Paginated list of the user's chats",
        description: 'The chats the caller takes part in, a page at a time: conversations with a model, with their files.',
        querystring: ChatListQuery,
        response: { 200: ref(ChatPage, 'A page of chats'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(chats.list(principalOf(request), request.query), presentChat)
  )

  app.post(
    '/',
    {
      config: { idempotency: 'stored', location: (chat: { chat_id: string }) => `/api/v1/chat/${chat.chat_id}` },
      schema: {
        operationId: 'createChat',
        tags,
        summary: 'Create a chat',
        description:
          'A chat with a model, named by `model_id` and `model_api_source` (see `GET /api/v1/model`). It is a conversation like any other: send messages to it with `POST /api/v1/conversations/{conversation_id}/messages`.',
        body: ref(CreateChatRequest),
        response: { 201: ref(Chat, 'The new chat'), ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentChat(chats.create(principalOf(request), request.body)))
  )

  app.get(
    '/:chat_id',
    {
      schema: {
        operationId: 'getChat',
        tags,
        summary: 'Get a chat',
        description: 'One chat the caller takes part in, with its files; anyone else gets 404.',
        params: ChatIdParams,
        response: { 200: ref(Chat, 'The chat'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentChat(chats.get(principalOf(request), request.params.chat_id))
  )

  app.delete(
    '/:chat_id',
    {
      schema: {
        operationId: 'deleteChat',
        tags,
        summary: 'Delete a chat and its messages',
        description: 'Deletes the chat with its messages and files. Its creator may (or the owner or an admin of its workspace).',
        params: ChatIdParams,
        response: { 204: { ...NoContent, description: 'Deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      chats.delete(principalOf(request), request.params.chat_id)
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/:chat_id/upload',
    {
      // One file's own path; several files' list.
      config: {
        location: (stored: { id: string }[], request) => {
          const list = `/api/v1/chat/${(request.params as { chat_id: string }).chat_id}/files`
          return stored.length === 1 ? `${list}/${stored[0]!.id}` : list
        }
      },
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'uploadChatFiles',
        tags,
        summary: 'Upload files to a chat',
        description:
          'multipart/form-data with one or more files in the field `files` (at most 20). Each is checked as ' +
          '`POST /api/v1/files/upload` checks a file; if one is refused, none of the request is kept.',
        consumes: ['multipart/form-data'],
        params: ChatIdParams,
        body: ref(UploadFilesRequest),
        response: { 201: Type.Array(ref(File), { description: 'The stored files' }), ...errors(400, 401, 404, 413, 415, 422) }
      }
    },
    async (request, reply) => {
      try {
        return reply.code(201).send((await chats.upload(principalOf(request), request.params.chat_id, fileParts(request))).map(presentFile))
      } catch (err) {
        return discardAfterRefusal(request, reply, err)
      }
    }
  )

  app.get(
    '/:chat_id/files',
    {
      schema: {
        operationId: 'listChatFiles',
        tags,
        summary: 'List the files of a chat',
        description: 'The files uploaded to the chat, for those who take part in it.',
        params: ChatIdParams,
        querystring: ChatListQuery,
        response: { 200: ref(FilePage, 'A page of files, newest first'), ...errors(401, 404, 422) }
      }
    },
    async (request) => v1Page(chats.listFiles(principalOf(request), request.params.chat_id, request.query), presentFile)
  )

  app.get(
    '/:chat_id/files/:file_id',
    {
      schema: {
        operationId: 'downloadChatFile',
        tags,
        summary: 'Download a file of a chat',
        description:
          'The bytes, with the stored content type and `Content-Disposition: attachment`. ' +
          'The `ETag` is the SHA-256 of the bytes; with `If-None-Match` naming it the answer is a `304` with no body.',
        params: ChatFileParams,
        headers: ConditionalHeaders,
        response: { ...downloadResponses('The file'), ...errors(401, 404, 422) }
      }
    },
    async (request, reply) => sendDownload(request, reply, chats.download(principalOf(request), request.params.chat_id, request.params.file_id))
  )

  app.delete(
    '/:chat_id/files/:file_id',
    {
      schema: {
        operationId: 'deleteChatFile',
        tags,
        summary: 'Delete a file from a chat',
        description: 'Idempotent: a file already gone is a 204. Its uploader or the chat owner may delete it.',
        params: ChatFileParams,
        response: { 204: { ...NoContent, description: 'The file is gone' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      chats.deleteFile(principalOf(request), request.params.chat_id, request.params.file_id)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/:chat_id/messages',
    {
      schema: {
        operationId: 'listChatMessages',
        tags,
        summary: 'Messages of a chat, oldest first',
        description: "The chat's messages, oldest first, a page at a time.",
        params: ChatIdParams,
        querystring: ChatListQuery,
        response: { 200: ref(ChatMessagePage, 'A page of messages'), ...errors(401, 404, 422) }
      }
    },
    async (request) => v1Page(chats.messages(principalOf(request), request.params.chat_id, request.query), presentChatMessage)
  )
}

export default routes
