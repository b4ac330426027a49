import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'

export const ModelProviderId = StringEnum(['openai', 'anthropic', 'groq', 'bedrock', 'offline'], { $id: 'ModelProviderId' })

export const Model = Type.Object(
  {
    id: Type.String({ description: "The model as `provider:model`: what an assistant's `model` takes.", examples: ['openai:gpt-4o-mini'] }),
    model_id: Type.String({ description: "The vendor's own model name." }),
    model_api_source: ref(ModelProviderId),
    name: Type.String(),
    supports_tools: Type.Boolean(),
    supports_streaming: Type.Boolean(),
    input_modalities: Type.Array(StringEnum(['text', 'image', 'video']), {
      description: 'What the model reads: `text`, and `image` or `video` when it takes them (`POST /api/v1/run` refuses the others).'
    }),
    is_default: Type.Boolean({ description: 'The model used when none is named.' })
  },
  { $id: 'Model', additionalProperties: false }
)

export const ModelPage = PageOf(Model, 'ModelPage')
export const ListModelsQuery = Type.Omit(PageQuery, ['sort'])

const ModelField = Type.String({
  minLength: 1,
  maxLength: 200,
  description: '`provider:model`; the default model when omitted.',
  examples: ['offline', 'anthropic:claude-sonnet-4-6']
})

export const ChatCompletionInputMessage = Type.Object(
  {
    role: StringEnum(['system', 'user', 'assistant']),
    content: Type.String({ maxLength: 100_000 })
  },
  { $id: 'ChatCompletionInputMessage', additionalProperties: false }
)

export const ChatCompletionRequest = example(
  Type.Object(
    {
      model: Type.Optional(ModelField),
      messages: Type.Array(ref(ChatCompletionInputMessage), { minItems: 1, maxItems: 200 }),
      temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
      max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 32_000 })),
      stream: Type.Optional(Type.Boolean({ description: 'Stream the answer as Server-Sent Events (also with `Accept: text/event-stream`).' }))
    },
    { $id: 'ChatCompletionRequest', additionalProperties: false }
  ),
  { model: 'offline', messages: [{ role: 'user', content: 'Say hello in French.' }] }
)

export const TokenUsage = Type.Object(
  {
    prompt_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens: Type.Integer({ minimum: 0 }),
    total_tokens: Type.Integer({ minimum: 0 })
  },
  { $id: 'TokenUsage', additionalProperties: false }
)

export const FinishReason = StringEnum(['stop', 'tool_calls', 'length', 'content_filter'], { $id: 'FinishReason' })

export const ChatCompletion = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion'),
    created: Type.Integer({ description: 'Unix seconds.' }),
    model: Type.String({ description: 'The model that answered, as `provider:model`.' }),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          message: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }, { additionalProperties: false }),
          finish_reason: ref(FinishReason)
        },
        { additionalProperties: false }
      )
    ),
    usage: ref(TokenUsage)
  },
  { $id: 'ChatCompletion', additionalProperties: false, description: 'An OpenAI-style chat completion, as aisuite returns it.' }
)

/** The text fields of a run, the same in JSON and in multipart/form-data. */
const RunFields = {
  assistant_id: Uuid,
  input: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100_000,
      description: 'The text to run the assistant on; may be left out when `audio`, `images` or `video` are sent.'
    })
  ),
  file_ids: Type.Optional(
    Type.Array(Uuid, {
      maxItems: 20,
      description:
        'Uploaded files (yours, or of a chat you see) to run on. Text, CSV, JSON and XML files are given to the model as text ' +
        '(the first 64 KiB of each); other files by name, type and size.'
    })
  ),
  history: Type.Optional(Type.Array(ref(ChatCompletionInputMessage), { maxItems: 200, description: 'Earlier turns, oldest first.' }))
}

/** An image, audio or video in a JSON body. */
export const MediaInput = Type.Object(
  {
    data: Type.String({
      minLength: 1,
      contentEncoding: 'base64',
      description: 'The bytes in base64 (standard or URL-safe alphabet), or a `data:<type>;base64,…` URL.'
    }),
    content_type: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'The type, e.g. `image/png`; optional, as the type is decided from the bytes. When given it must agree with them (else 415).'
      })
    )
  },
  { $id: 'MediaInput', additionalProperties: false }
)

const IMAGES_DESCRIPTION =
  'Images for the model to look at (PNG, JPEG, GIF, WebP; 8 at most, 10 MiB each). Refused with 422 `MODEL_INPUT_NOT_SUPPORTED` ' +
  "when the assistant's model does not take images (see `input_modalities` in `GET /api/v1/model`)."
const AUDIO_DESCRIPTION =
  'Speech to run on (MP3, WAV, OGG, FLAC, M4A/MP4, WebM; 25 MiB): transcribed, and the transcript is the text (after `input` when both are sent). ' +
  'Needs a transcription engine (`OPENAI_API_KEY`): without one, 503 `TRANSCRIPTION_NOT_CONFIGURED`.'
const VIDEO_DESCRIPTION =
  "A video for the model to watch (MP4, WebM, MOV, MKV; 25 MiB). Taken by Bedrock's Amazon Nova Lite, Pro and Premier; " +
  'refused with 422 `MODEL_INPUT_NOT_SUPPORTED` by other models.'

export const RunRequest = example(
  Type.Object(
    {
      ...RunFields,
      images: Type.Optional(Type.Array(ref(MediaInput), { minItems: 1, maxItems: 8, description: IMAGES_DESCRIPTION })),
      audio: Type.Optional(ref(MediaInput, AUDIO_DESCRIPTION)),
      video: Type.Optional(ref(MediaInput, VIDEO_DESCRIPTION))
    },
    {
      $id: 'RunRequest',
      additionalProperties: false,
      description: 'A run as JSON; images, audio and video in base64. The media of one run may be 40 MiB together.'
    }
  ),
  { assistant_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', input: 'What is 6 times 7?' }
)

/** The parts of a run as multipart/form-data (documentation only: the stream is read and checked as it arrives). */
export const RunForm = Type.Object(
  {
    assistant_id: Uuid,
    input: Type.Optional(Type.String({ maxLength: 100_000, description: 'The text; may be left out when a file is sent.' })),
    file_ids: Type.Optional(Type.Array(Uuid, { maxItems: 20, description: 'The field repeated once per uploaded file to run on.' })),
    history: Type.Optional(Type.String({ description: 'Earlier turns as JSON text: `[{"role": "user", "content": "…"}, …]`.' })),
    images: Type.Optional(Type.Array(Type.String({ format: 'binary' }), { maxItems: 8, description: IMAGES_DESCRIPTION })),
    audio: Type.Optional(Type.String({ format: 'binary', description: AUDIO_DESCRIPTION })),
    video: Type.Optional(Type.String({ format: 'binary', description: VIDEO_DESCRIPTION }))
  },
  { $id: 'RunForm', description: 'A run as multipart/form-data: text fields and files. The files of one run may be 40 MiB together.' }
)

const RunAudioFields = {
  format: Type.Optional(
    StringEnum(['mp3', 'wav'], {
      default: 'mp3',
      description: '`mp3` (`audio/mpeg`) or `wav` (`audio/wav`). The local engine makes WAV only, whatever is asked.'
    })
  ),
  voice: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_+.-]+$',
      description: "The engine's voice: OpenAI's (`alloy`, `coral`, …) or espeak-ng's (`en`, `en-us`, `fr`, …)."
    })
  )
}

export const RunAudioRequest = example(Type.Object({ ...RunRequest.properties, ...RunAudioFields }, { $id: 'RunAudioRequest', additionalProperties: false }), {
  assistant_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
  input: 'Say hello',
  format: 'wav'
})

export const RunAudioForm = Type.Object({ ...RunForm.properties, ...RunAudioFields }, { $id: 'RunAudioForm', description: RunForm.description })

/** The text fields of a multipart run, as they are checked once read (history parsed from its JSON). */
export const RunFormFields = Type.Object(RunFields, { additionalProperties: false })
export const RunAudioFormFields = Type.Object({ ...RunFields, ...RunAudioFields }, { additionalProperties: false })

export const ToolRun = Type.Object(
  {
    id: Type.String({ description: "The call's id, as the model gave it." }),
    name: Type.String(),
    arguments: Type.String({ description: 'The arguments, as the JSON text the model produced.' }),
    result: Type.String({ description: 'What the tool returned (JSON text); `{"error": ...}` when it failed.' }),
    is_error: Type.Boolean(),
    step: Type.Integer({ minimum: 1 })
  },
  { $id: 'ToolRun', additionalProperties: false }
)

export const RunResult = Type.Object(
  {
    id: Uuid,
    assistant_id: Uuid,
    model: Type.String(),
    status: StringEnum(['completed']),
    output: Type.String(),
    tool_calls: Type.Array(ref(ToolRun)),
    steps: Type.Integer({ minimum: 1, description: 'Model calls made.' }),
    finish_reason: ref(FinishReason),
    usage: ref(TokenUsage),
    transcript: Type.Optional(Type.String({ description: 'What was heard in `audio`, when audio was sent.' })),
    created_at: Timestamp
  },
  { $id: 'RunResult', additionalProperties: false }
)

const PromptModel = {
  model: Type.Optional(ModelField),
  modelid: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Another name for `model`, kept for older clients.' }))
}

export const CompilePromptRequest = example(
  Type.Object({ prompt: Type.String({ minLength: 1, maxLength: 20_000 }), ...PromptModel }, { $id: 'CompilePromptRequest', additionalProperties: false }),
  { prompt: 'Write a short poem about the sea for a child', model: 'offline' }
)

export const CompiledPrompt = Type.Object(
  { original_prompt: Type.String(), compiled_prompt: Type.String(), model: Type.String() },
  { $id: 'CompiledPrompt', additionalProperties: false }
)

// Bodies are validated without type coercion, so the branches of this union stay apart.
const ParameterValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'A string, number, boolean or null.' })
export const ParameterType = StringEnum(['string', 'number', 'boolean', 'enum'], { $id: 'PromptParameterType' })

export const PromptParameter = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 }),
    label: Type.String(),
    type: ref(ParameterType),
    description: Type.String(),
    required: Type.Boolean(),
    default: Type.Optional(ParameterValue),
    options: Type.Optional(Type.Array(Type.String()))
  },
  { $id: 'PromptParameter', additionalProperties: false }
)

export const CompiledPromptForm = Type.Object(
  {
    original_prompt: Type.String(),
    compiled_prompt: Type.String({ description: 'The prompt with `{{name}}` placeholders.' }),
    parameters: Type.Array(ref(PromptParameter)),
    form_schema: Type.Record(Type.String(), Type.Any(), { description: 'A JSON Schema of an object with one property per parameter, for a form generator.' }),
    model: Type.String()
  },
  { $id: 'CompiledPromptForm', additionalProperties: false }
)

export const PromptParameterInput = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 }),
    type: Type.Optional(ref(ParameterType)),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(ParameterValue),
    options: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 }))
  },
  { $id: 'PromptParameterInput', additionalProperties: false }
)

export const UpdateParametersRequest = example(
  Type.Object(
    {
      prompt: Type.String({ minLength: 1, maxLength: 20_000, description: 'The text to read values from.' }),
      parameters: Type.Array(ref(PromptParameterInput), { minItems: 1, maxItems: 50 }),
      template: Type.Optional(
        Type.String({ maxLength: 20_000, description: 'A compiled prompt whose `{{name}}` placeholders are filled with the values found.' })
      ),
      ...PromptModel
    },
    { $id: 'UpdateParametersRequest', additionalProperties: false }
  ),
  {
    prompt: 'Plan 3 days in Lisbon for 2 people',
    parameters: [
      { name: 'city', type: 'string' },
      { name: 'days', type: 'number' }
    ],
    template: 'Plan {{days}} days in {{city}}',
    model: 'offline'
  }
)

export const UpdatedParameters = Type.Object(
  {
    values: Type.Record(Type.String(), ParameterValue, { description: "Each parameter's value, or null when the text does not give it." }),
    filled_prompt: Type.Union([Type.String(), Type.Null()], { description: 'The template with the values put in, when a template was sent.' }),
    model: Type.String()
  },
  { $id: 'UpdatedParameters', additionalProperties: false }
)
