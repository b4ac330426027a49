import { fileTypeFromBuffer } from 'file-type'
import { DomainError } from './errors.js'

/**
 * What a run takes besides text: pictures and video the model looks at, and speech, which is
 * transcribed and run as text. The type of each is decided from its bytes; a type the client
 * declares must agree with them.
 */
export type RunMediaKind = 'image' | 'audio' | 'video'

const MiB = 1024 * 1024

interface MediaRule {
  /** The request field it arrives in. */
  field: string
  /** What it is called in messages. */
  noun: string
  maxBytes: number
  maxCount: number
  /** Accepted types, by the extension file-type detects: the type passed on, and its usual extension. */
  types: Record<string, { mediaType: string; extension: string }>
}

export const RUN_MEDIA: Record<RunMediaKind, MediaRule> = {
  image: {
    field: 'images',
    noun: 'image',
    maxBytes: 10 * MiB,
    maxCount: 8,
    types: {
      png: { mediaType: 'image/png', extension: 'png' },
      apng: { mediaType: 'image/png', extension: 'png' },
      jpg: { mediaType: 'image/jpeg', extension: 'jpg' },
      gif: { mediaType: 'image/gif', extension: 'gif' },
      webp: { mediaType: 'image/webp', extension: 'webp' }
    }
  },
  audio: {
    field: 'audio',
    noun: 'audio',
    // OpenAI's transcription API takes files up to 25 MB.
    maxBytes: 25 * MiB,
    maxCount: 1,
    types: {
      mp3: { mediaType: 'audio/mpeg', extension: 'mp3' },
      wav: { mediaType: 'audio/wav', extension: 'wav' },
      ogg: { mediaType: 'audio/ogg', extension: 'ogg' },
      oga: { mediaType: 'audio/ogg', extension: 'ogg' },
      opus: { mediaType: 'audio/ogg', extension: 'ogg' },
      flac: { mediaType: 'audio/flac', extension: 'flac' },
      m4a: { mediaType: 'audio/mp4', extension: 'm4a' },
      mp4: { mediaType: 'audio/mp4', extension: 'mp4' },
      webm: { mediaType: 'audio/webm', extension: 'webm' }
    }
  },
  video: {
    field: 'video',
    noun: 'video',
    maxBytes: 25 * MiB,
    maxCount: 1,
    types: {
      mp4: { mediaType: 'video/mp4', extension: 'mp4' },
      webm: { mediaType: 'video/webm', extension: 'webm' },
      mov: { mediaType: 'video/quicktime', extension: 'mov' },
      mkv: { mediaType: 'video/x-matroska', extension: 'mkv' }
    }
  }
}

/** All the media of one run together. */
export const MAX_RUN_MEDIA_BYTES = 40 * MiB

/** One image, audio or video as the HTTP layer hands it over. */
export interface IncomingMedia {
  kind: RunMediaKind
  /** Its place among the parts of its kind, from 0. */
  index: number
  data: Buffer
  /** The type the client gave, if any (`content_type`, a data URL's, a multipart part's). */
  declaredType?: string
}

/** A checked image, audio or video, with its type. */
export interface RunMedia {
  kind: RunMediaKind
  mediaType: string
  extension: string
  data: Buffer
}

/** How a part is named in messages and field errors: `images[1]`, `audio`. */
export function mediaLabel(kind: RunMediaKind, index: number): string {
  const rule = RUN_MEDIA[kind]
  return rule.maxCount > 1 ? `${rule.field}[${index}]` : rule.field
}

function mib(bytes: number): string {
  return `${bytes / MiB} MiB`
}

/** The 413 of a part past its kind's limit. */
export function mediaTooLarge(kind: RunMediaKind, index: number): DomainError {
  return new DomainError(
    'FILE_TOO_LARGE',
    `${mediaLabel(kind, index)} is larger than ${mib(RUN_MEDIA[kind].maxBytes)}, the limit of one ${RUN_MEDIA[kind].noun}`
  )
}

/** The 413 of a run whose media together pass the limit. */
export function runMediaTooLarge(): DomainError {
  return new DomainError('FILE_TOO_LARGE', `The images, audio and video of one run may be ${mib(MAX_RUN_MEDIA_BYTES)} together`)
}

/** The 422 of more parts of a kind than a run takes. */
export function tooManyMedia(kind: RunMediaKind): DomainError {
  const rule = RUN_MEDIA[kind]
  const message = rule.maxCount === 1 ? `one ${rule.noun} at most` : `${rule.maxCount} ${rule.noun}s at most`
  return new DomainError('VALIDATION_ERROR', `A run takes ${message}`, [{ field: `body.${rule.field}`, message: `takes ${message}` }])
}

/** Other names clients give the same types. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/apng': 'image/png',
  'audio/mp3': 'audio/mpeg',
  'audio/mpeg3': 'audio/mpeg',
  'audio/x-mp3': 'audio/mpeg',
  'audio/mpga': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'application/ogg': 'audio/ogg',
  'video/x-mkv': 'video/x-matroska'
}

/** An audio track in an MP4 or WebM container is declared as video as often as audio. */
const AUDIO_CONTAINERS: Record<string, string> = { 'video/mp4': 'audio/mp4', 'video/webm': 'audio/webm' }

function sameType(declared: string, mediaType: string, kind: RunMediaKind): boolean {
  const essence = declared.split(';')[0]!.trim().toLowerCase()
  const normal = ALIASES[essence] ?? (kind === 'audio' ? AUDIO_CONTAINERS[essence] : undefined) ?? essence
  return normal === mediaType
}

const UNDECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream'])

/** The readable list of a kind's accepted types: `PNG, JPG, GIF, WEBP`. */
function acceptedNames(kind: RunMediaKind): string {
  return [...new Set(Object.values(RUN_MEDIA[kind].types).map((t) => t.extension.toUpperCase()))].join(', ')
}

/**
 * Checks the media of a run: counts, sizes (each and together) and types, decided from the bytes.
 * Throws 422 (too many), 413 (too large) or 415 (a type not taken, or bytes that are not the type
 * declared).
 */
export async function checkRunMedia(parts: IncomingMedia[]): Promise<RunMedia[]> {
  for (const kind of Object.keys(RUN_MEDIA) as RunMediaKind[]) {
    if (parts.filter((p) => p.kind === kind).length > RUN_MEDIA[kind].maxCount) throw tooManyMedia(kind)
  }
  let total = 0
  const out: RunMedia[] = []
  for (const part of parts) {
    const rule = RUN_MEDIA[part.kind]
    const label = mediaLabel(part.kind, part.index)
    if (part.data.length > rule.maxBytes) throw mediaTooLarge(part.kind, part.index)
    total += part.data.length
    if (total > MAX_RUN_MEDIA_BYTES) throw runMediaTooLarge()
    const detected = await fileTypeFromBuffer(part.data)
    const type = detected ? rule.types[detected.ext] : undefined
    if (!type) {
      const what = detected ? `its bytes are ${detected.ext.toUpperCase()}` : part.data.length ? 'its bytes are of no known type' : 'it is empty'
      throw new DomainError('UNSUPPORTED_FILE_TYPE', `${label} is not of an accepted ${rule.noun} type (${acceptedNames(part.kind)}): ${what}`)
    }
    const declared = part.declaredType?.trim() ?? ''
    if (!UNDECLARED.has(declared.toLowerCase()) && !sameType(declared, type.mediaType, part.kind)) {
      throw new DomainError('UNSUPPORTED_FILE_TYPE', `${label} is declared ${declared} but its bytes are ${type.mediaType}`)
    }
    out.push({ kind: part.kind, mediaType: type.mediaType, extension: type.extension, data: part.data })
  }
  return out
}
