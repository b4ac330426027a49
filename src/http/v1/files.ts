import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { File, FileContent, FileIdParams, UploadFileRequest } from '../../../schemas/files.js'
import { DomainError, isDomainError } from '../../domain/errors.js'
import type { FileDownload, IncomingFile } from '../../domain/files.js'
import { principalOf } from '../auth.js'
import { attachmentDisposition } from '../content-disposition.js'
import { discardRestOfBody } from '../connections.js'
import { answeredNotModified, ConditionalHeaders, ETagHeader, NotModifiedResponse } from '../etag.js'
import { presentFile } from './presenters.js'

const tags = ['files']

/** The `file` part of a multipart request, as the file service takes it. */
export async function singleFilePart(request: FastifyRequest, field = 'file'): Promise<{ file: IncomingFile; drain: () => void }> {
  if (!request.isMultipart()) {
    throw new DomainError('BAD_REQUEST', `Send the file as multipart/form-data in the field \`${field}\``)
  }
  const part = await request.file({ limits: { files: 1 }, throwFileSizeLimit: false })
  if (!part || part.fieldname !== field) {
    part?.file.resume()
    throw new DomainError('VALIDATION_ERROR', `The multipart field \`${field}\` with a file is required`, [{ field: `body.${field}`, message: 'is required' }])
  }
  return {
    file: { filename: part.filename, stream: part.file, truncated: () => part.file.truncated },
    drain: () => part.file.resume()
  }
}

/**
 * After a refused upload the rest of the request body is not wanted, but it is read and
 * discarded (up to a bound) while the answer goes out, so the client gets the answer.
 */
export function discardAfterRefusal(request: FastifyRequest, reply: FastifyReply, err: unknown): never {
  if (isDomainError(err) && (err.code === 'FILE_TOO_LARGE' || err.code === 'UNSUPPORTED_FILE_TYPE')) discardRestOfBody(request, reply)
  throw err
}

/**
 * Sends a stored file with its content type, length and `Content-Disposition`. Its content is
 * addressed by hash, so the hash is its `ETag`; `If-None-Match` naming it gets a `304` with no body.
 * Only the caller's own cache may keep it, and must ask again (access is checked every time).
 */
export function sendDownload(request: FastifyRequest, reply: FastifyReply, d: FileDownload) {
  reply.header('cache-control', 'private, no-cache')
  if (answeredNotModified(request, reply, d.sha256)) return reply.send()
  return reply
    .header('content-type', d.file.content_type)
    .header('content-length', String(d.file.size))
    .header('content-disposition', attachmentDisposition(d.file.filename))
    .send(d.open())
}

/** The documented answers of a download route: the bytes with their `ETag`, or `304`. */
export function downloadResponses(description: string) {
  return {
    200: { description, headers: { ETag: ETagHeader }, content: { 'application/octet-stream': { schema: FileContent } } },
    304: NotModifiedResponse
  }
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { files } = app.services

  app.post(
    '/upload',
    {
      config: { location: (file: { id: string }) => `/api/v1/files/${file.id}` },
      // The body is a stream read by the handler; its schema documents it.
      validatorCompiler: () => () => true,
      schema: {
        operationId: 'uploadFile',
        tags,
        summary: 'Upload a file',
        description:
          'multipart/form-data with one file in the field `file`. The type is decided from the bytes as well as the name: ' +
          'a type not accepted, or bytes that are not what the name says, is a 415; a file over the limit of its kind a 413. ' +
          'Equal bytes are stored once.',
        consumes: ['multipart/form-data'],
        body: ref(UploadFileRequest),
        response: { 201: ref(File, 'The stored file'), ...errors(400, 401, 413, 415, 422) }
      }
    },
    async (request, reply) => {
      const { file, drain } = await singleFilePart(request)
      try {
        return reply.code(201).send(presentFile(await files.upload(principalOf(request), file)))
      } catch (err) {
        drain()
        return discardAfterRefusal(request, reply, err)
      }
    }
  )

  app.get(
    '/:file_id',
    {
      schema: {
        operationId: 'downloadFile',
        tags,
        summary: 'Download a file',
        description:
          'The bytes, with the stored content type and `Content-Disposition: attachment`. Only its owner (or those who may see its chat) can read it. ' +
          'The `ETag` is the SHA-256 of the bytes; with `If-None-Match` naming it the answer is a `304` with no body.',
        params: FileIdParams,
        headers: ConditionalHeaders,
        response: { ...downloadResponses('The file'), ...errors(401, 404, 422) }
      }
    },
    async (request, reply) => sendDownload(request, reply, files.download(principalOf(request), request.params.file_id))
  )

  app.delete(
    '/:file_id',
    {
      schema: {
        operationId: 'deleteFile',
        tags,
        summary: 'Delete a file',
        description: 'Idempotent: deleting a file that is gone (or is not yours) is a 204 and changes nothing.',
        params: FileIdParams,
        response: { 204: { ...NoContent, description: 'The file is gone' }, ...errors(401, 422) }
      }
    },
    async (request, reply) => {
      files.delete(principalOf(request), request.params.file_id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
