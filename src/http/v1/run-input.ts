import type { TObject } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../domain/errors.js'
import { type IncomingMedia, MAX_RUN_MEDIA_BYTES, mediaTooLarge, RUN_MEDIA, type RunMediaKind, runMediaTooLarge, tooManyMedia } from '../../domain/media.js'
import { discardRestOfBody } from '../connections.js'

/**
 * The body of `POST /api/v1/run` and `/run/audio` in either of its forms: JSON, with images,
 * audio and video in base64, or multipart/form-data, with them as files. Both become the same
 * input: the text fields, and the media as bytes for the run to check.
 */

const MiB = 1024 * 1024

/** The largest JSON body of a run: its media in base64, and room for the text. */
export const RUN_JSON_BODY_LIMIT = Math.ceil((MAX_RUN_MEDIA_BYTES * 4) / 3) + 2 * MiB

/** The longest text field of a multipart run (`input` is 100 000 characters at most). */
const FORM_FIELD_BYTES = MiB

interface JsonMedia {
  data: string
  content_type?: string
}

interface JsonRunBody {
  images?: JsonMedia[]
  audio?: JsonMedia
  video?: JsonMedia
  [field: string]: unknown
}

const DATA_URL = /^data:([^;,]*)(?:;[^;,]*)*;base64,/i
const BASE64 = /^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_ERROR', `${field} ${message}`, [{ field, message }])
}

/** The bytes of a base64 (or base64 data URL) value, and the type it declares. */
function decodeMedia(media: JsonMedia, field: string): { data: Buffer; declaredType?: string } {
  let text = media.data
  let declaredType = media.content_type
  const dataUrl = DATA_URL.exec(text.slice(0, 300))
  if (dataUrl) {
    declaredType ??= dataUrl[1] || undefined
    text = text.slice(dataUrl[0].length)
  } else if (text.startsWith('data:')) {
    throw invalid(`${field}.data`, 'is a data URL that is not base64')
  }
  if (!BASE64.test(text)) throw invalid(`${field}.data`, 'is not base64')
  return { data: Buffer.from(text, 'base64'), declaredType }
}

/** The media of a JSON run. */
function jsonMedia(body: JsonRunBody): IncomingMedia[] {
  const out: IncomingMedia[] = []
  for (const [index, image] of (body.images ?? []).entries()) out.push({ kind: 'image', index, ...decodeMedia(image, `body.images.${index}`) })
  if (body.audio) out.push({ kind: 'audio', index: 0, ...decodeMedia(body.audio, 'body.audio') })
  if (body.video) out.push({ kind: 'video', index: 0, ...decodeMedia(body.video, 'body.video') })
  return out
}

/** `history` in a form: the JSON text of the earlier turns. */
function parseHistory(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw invalid('body.history', 'is not JSON: send the earlier turns as a JSON array')
  }
}

const KIND_OF_FIELD: Record<string, RunMediaKind> = Object.fromEntries((Object.keys(RUN_MEDIA) as RunMediaKind[]).map((kind) => [RUN_MEDIA[kind].field, kind]))

/** Reads a multipart run: files into memory (each within its kind's limit, all within the run's), text fields by name. */
async function readForm(request: FastifyRequest, fields: TObject): Promise<{ values: Record<string, unknown>; media: IncomingMedia[] }> {
  const values: Record<string, unknown> = {}
  const media: IncomingMedia[] = []
  const counts: Partial<Record<RunMediaKind, number>> = {}
  let total = 0
  const maxFile = Math.max(...Object.values(RUN_MEDIA).map((r) => r.maxBytes))
  const parts = request.parts({ limits: { fileSize: maxFile + 1, files: 10, fields: 30, fieldSize: FORM_FIELD_BYTES, parts: 40 } })
  for await (const part of parts) {
    if (part.type === 'file') {
      const kind = KIND_OF_FIELD[part.fieldname]
      if (!kind) {
        part.file.resume()
        throw invalid(`body.${part.fieldname}`, `is not a file field: send files in ${Object.keys(KIND_OF_FIELD).join(', ')}`)
      }
      const index = counts[kind] ?? 0
      counts[kind] = index + 1
      if (index >= RUN_MEDIA[kind].maxCount) {
        part.file.resume()
        throw tooManyMedia(kind)
      }
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of part.file) {
        size += chunk.length
        total += chunk.length
        if (size > RUN_MEDIA[kind].maxBytes) throw mediaTooLarge(kind, index)
        if (total > MAX_RUN_MEDIA_BYTES) throw runMediaTooLarge()
        chunks.push(chunk)
      }
      media.push({ kind, index, data: Buffer.concat(chunks), declaredType: part.mimetype })
      continue
    }
    const name = part.fieldname
    if (!Object.hasOwn(fields.properties, name)) throw invalid(`body.${name}`, 'is not an accepted field')
    if (part.valueTruncated) throw invalid(`body.${name}`, `is longer than ${FORM_FIELD_BYTES / MiB} MiB`)
    const repeated = name === 'file_ids'
    if (!repeated && name in values) throw invalid(`body.${name}`, 'is sent more than once')
    if (repeated) values[name] = [...((values[name] as unknown[] | undefined) ?? []), part.value]
    else if (name === 'history' && typeof part.value === 'string') values[name] = parseHistory(part.value)
    else values[name] = part.value
  }
  return { values, media }
}

/**
 * The input of a run from its body, JSON or multipart. A multipart body's text fields are checked
 * against `fields` (the JSON body's own text fields, so both forms take the same values). A body
 * refused while it is read is read and discarded while the answer goes out.
 */
export async function readRunBody<T>(request: FastifyRequest, reply: FastifyReply, fields: TObject): Promise<T & { media: IncomingMedia[] }> {
  if (!request.isMultipart()) {
    const body = request.body as JsonRunBody | undefined
    if (request.mediaType !== 'application/json' || !body || typeof body !== 'object') {
      throw Object.assign(new Error('Send the run as application/json or multipart/form-data'), { statusCode: 415 })
    }
    const { images: _images, audio: _audio, video: _video, ...rest } = body
    return { ...(rest as T), media: jsonMedia(body) }
  }
  let form: Awaited<ReturnType<typeof readForm>>
  try {
    form = await readForm(request, fields)
  } catch (err) {
    discardRestOfBody(request, reply)
    throw err
  }
  const validate = request.compileValidationSchema(fields)
  if (!validate(form.values)) {
    throw Object.assign(new Error('The form fields are not valid'), { validation: validate.errors, validationContext: 'body', statusCode: 422 })
  }
  return { ...(form.values as T), media: form.media }
}
