import { Type } from '@sinclair/typebox'
import { PageOf, StringEnum, Timestamp, Uuid } from './common.js'

/** A stored file, with its kind and chat. */
export const File = Type.Object(
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
