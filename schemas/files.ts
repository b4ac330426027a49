import { Type } from '@sinclair/typebox'
import { PageOf, StringEnum, Timestamp, Uuid, example } from './common.js'

/** A stored file, with its kind and chat. */
export const File = example(
  Type.Object(
    {
      fileid: Uuid,
      filename: Type.String(),
      uploaded_at: Timestamp,
      userid: Uuid,
      content_type: Type.String({ description: 'Decided by the server from the name and the bytes, never taken from the client.' }),
      size: Type.Integer({ minimum: 0, description: 'Bytes.' }),
      kind: StringEnum(['image', 'document', 'data', 'archive']),
      chat_id: Type.Union([Uuid, Type.Null()], { description: 'The chat the file was uploaded to, or null.' })
    },
    { $id: 'File', additionalProperties: false }
  ),
  {
    fileid: '01936f3c-6e50-7f88-8265-708192a3b4c5',
    filename: 'notes.pdf',
    uploaded_at: '2024-01-15T10:30:00.000Z',
    userid: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
    content_type: 'application/pdf',
    size: 48213,
    kind: 'document',
    chat_id: null
  }
)

export const FilePage = PageOf(File, 'FilePage')

/** The multipart body of `POST /api/v1/files/upload` (documentation only: the stream is read as it arrives). */
export const UploadFileRequest = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      description:
        'The file. Accepted: PNG, JPG, GIF, WebP (images, 10 MB); PDF, DOC, DOCX, TXT (documents, 50 MB); CSV, JSON, XML ' +
        '(data, 100 MB); ZIP, RAR (archives, 50 MB). The type is decided from the bytes as well as the name.'
    })
  },
  { $id: 'UploadFileRequest' }
)

export const UploadFilesRequest = Type.Object(
  { files: Type.Array(Type.String({ format: 'binary' }), { description: 'One or more files; the limits of `UploadFileRequest` apply to each.' }) },
  { $id: 'UploadFilesRequest' }
)

export const FileIdParams = Type.Object({ file_id: Uuid })

/** A file's bytes. */
export const FileContent = Type.String({ format: 'binary' })
