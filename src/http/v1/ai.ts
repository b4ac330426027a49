import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  ChatCompletion,
  ChatCompletionRequest,
  CompiledPrompt,
  CompiledPromptForm,
  CompilePromptRequest,
  ListModelsQuery,
  ModelPage,
  RunAudioForm,
  RunAudioFormFields,
  RunAudioRequest,
  RunForm,
  RunFormFields,
  RunRequest,
  RunResult,
  UpdatedParameters,
  UpdateParametersRequest
} from '../../../schemas/ai.js'
import { errors, ref } from '../../../schemas/common.js'
import { AUDIO_CONTENT_TYPE } from '../../ai/speech.js'
import type { RunAudioInput, RunInput } from '../../domain/ai.js'
import { principalOf } from '../auth.js'
import { v1Page } from './presenters.js'
import { RUN_JSON_BODY_LIMIT, readRunBody } from './run-input.js'
import { clientGone, openEventStream, wantsEventStream } from '../sse.js'

const MODEL_ERRORS = errors(400, 401, 422, 429, 502, 504)

/** How a run takes images, audio and video; both run routes say it. */
const MULTIMODAL =
  'The body is JSON, with `images`, `audio` and `video` in base64, or multipart/form-data, with the same text fields (`history` as JSON text, ' +
  '`file_ids` repeated) and the media as files in the fields `images` (up to 8), `audio` and `video`. Images (PNG, JPEG, GIF, WebP; 10 MiB each) ' +
  "and video (MP4, WebM, MOV, MKV; 25 MiB) go to the assistant's model when it takes them, else 422 `MODEL_INPUT_NOT_SUPPORTED` before any model " +
  "is called. Audio (MP3, WAV, OGG, FLAC, M4A, WebM; 25 MiB) is transcribed (OpenAI's transcription API, with `OPENAI_API_KEY`) and the transcript " +
  'is the text (after `input` when both are sent; it is returned as `transcript`); without an engine, 503 `TRANSCRIPTION_NOT_CONFIGURED`. ' +
  'Types are decided from the bytes: another type, or bytes that are not the type declared, is a 415; past a limit (or 40 MiB of media together) a 413.'

/** The model and AI routes under `/api/v1`: `/model`, `/aisuite/chat`, `/run`, `/prompt_compiler/*`. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { ai } = app.services

  app.get(
    '/model',
    {
      schema: {
        operationId: 'listModels',
        tags: ['models'],
        summary: 'List the configured models',
        description:
          'The models of the providers whose keys are set, the default first; `offline` is always there. Any other model name of a configured provider works too.',
        querystring: ListModelsQuery,
        response: { 200: ref(ModelPage, 'A page of models'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(ai.listModels(principalOf(request), request.query))
  )

  app.post(
    '/aisuite/chat',
    {
      schema: {
        operationId: 'createChatCompletion',
        tags: ['ai'],
        summary: 'A chat completion from any configured model',
        description:
          'Sends `messages` to `model` (`provider:model`) and returns an OpenAI-style completion. With `stream: true` or `Accept: text/event-stream` the answer streams as Server-Sent Events: ' +
          '`delta` events (`{index, delta}`), then one `completed` event with the completion, or one `error` event with a v1 error body. ' +
          'Provider failures: 429 `MODEL_RATE_LIMITED` (with `Retry-After`), 502 `MODEL_UNAVAILABLE`/`MODEL_ERROR`, 504 `MODEL_TIMEOUT`.',
        body: ref(ChatCompletionRequest),
        response: {
          200: {
            description: 'The completion (JSON), or its stream (text/event-stream)',
            content: {
              'application/json': { schema: ref(ChatCompletion) },
              'text/event-stream': { schema: Type.String({ description: 'Server-Sent Events: `delta`, then `completed` or `error`.' }) }
            }
          },
          ...MODEL_ERRORS
        }
      }
    },
    async (request, reply) => {
      const p = principalOf(request)
      const { stream: streamFlag, ...input } = request.body
      if (!wantsEventStream(request, streamFlag)) return ai.chat(p, input, undefined, clientGone(reply))
      ai.resolveModel(input.model) // an unknown or unconfigured model is a plain 422, before the stream opens
      const sse = openEventStream(request, reply)
      try {
        const completion = await ai.chat(p, input, { onDelta: (index, delta) => sse.send('delta', { index, delta }) }, sse.signal)
        sse.send('completed', completion)
      } catch (err) {
        if (!sse.closed) sse.sendError(err) // else the client left, which cancelled the reply
      } finally {
        sse.close()
      }
    }
  )

  app.post(
    '/run',
    {
      bodyLimit: RUN_JSON_BODY_LIMIT,
      schema: {
        operationId: 'runAssistant',
        tags: ['ai'],
        summary: 'Run an assistant on text, images, audio or video',
        description:
          'Runs the assistant with its system prompt, model and tools, and returns its answer with the tool calls it made. With `file_ids`, uploaded files you may read go with the text: TXT, CSV, JSON and XML as text (64 KiB each), others by name, type and size. ' +
          MULTIMODAL,
        body: { content: { 'application/json': { schema: ref(RunRequest) }, 'multipart/form-data': { schema: ref(RunForm) } } },
        response: { 200: ref(RunResult, 'The answer'), ...errors(400, 401, 404, 413, 415, 422, 429, 502, 503, 504) }
      }
    },
    async (request, reply) => {
      const input = await readRunBody<RunInput>(request, reply, RunFormFields)
      return ai.run(principalOf(request), input, clientGone(reply))
    }
  )

  app.post(
    '/run/audio',
    {
      bodyLimit: RUN_JSON_BODY_LIMIT,
      schema: {
        operationId: 'runAssistantAudio',
        tags: ['ai'],
        summary: 'Run an assistant and hear its answer',
        description:
          "Runs the assistant as `POST /run` does (with the same body, so a spoken question can get a spoken answer) and answers its reply as speech: with OpenAI's speech API when `OPENAI_API_KEY` is set, " +
          'else with the local `espeak-ng` engine when it is installed (WAV only); with neither, 503 `SPEECH_NOT_CONFIGURED` says what to set up. ' +
          '`X-Run-Id` and `X-Model` name the run.',
        body: { content: { 'application/json': { schema: ref(RunAudioRequest) }, 'multipart/form-data': { schema: ref(RunAudioForm) } } },
        response: {
          200: {
            description: 'The spoken answer',
            content: {
              'audio/mpeg': { schema: Type.String({ format: 'binary' }) },
              'audio/wav': { schema: Type.String({ format: 'binary' }) }
            }
          },
          ...errors(400, 401, 404, 413, 415, 422, 429, 502, 503, 504)
        }
      }
    },
    async (request, reply) => {
      const input = await readRunBody<RunAudioInput>(request, reply, RunAudioFormFields)
      const { run, audio, format } = await ai.runAudio(principalOf(request), input, clientGone(reply))
      return reply
        .type(AUDIO_CONTENT_TYPE[format])
        .header('x-run-id', run.id)
        .header('x-model', run.model)
        .send(audio as never)
    }
  )

  app.post(
    '/prompt_compiler/compile',
    {
      schema: {
        operationId: 'compilePrompt',
        tags: ['ai'],
        summary: 'Compile a rough request into a clear prompt',
        description: 'Done by `model` (or `modelid`), else the default model. With `offline` the result is a fixed, deterministic template.',
        body: ref(CompilePromptRequest),
        response: { 200: ref(CompiledPrompt, 'The compiled prompt'), ...MODEL_ERRORS }
      }
    },
    async (request) => ai.compilePrompt(principalOf(request), request.body)
  )

  app.post(
    '/prompt_compiler/compile/form',
    {
      schema: {
        operationId: 'compilePromptForm',
        tags: ['ai'],
        summary: 'Compile a prompt into a template and a form of its parameters',
        description:
          'Returns the prompt with `{{name}}` placeholders, its parameters and a JSON Schema of them for a form. With `offline`, placeholders already in the prompt (`{{x}}`, `{x}`, `[x]`, `<x>`) become the parameters, else `context`, `tone` and `length`.',
        body: ref(CompilePromptRequest),
        response: { 200: ref(CompiledPromptForm, 'The template and its form'), ...MODEL_ERRORS }
      }
    },
    async (request) => ai.compilePromptForm(principalOf(request), request.body)
  )

  app.post(
    '/prompt_compiler/update_parameters',
    {
      schema: {
        operationId: 'updatePromptParameters',
        tags: ['ai'],
        summary: 'Read parameter values out of a text',
        description:
          "Finds each parameter's value in `prompt` (null when absent, or the parameter's default) and, given a `template`, fills its placeholders. With `offline` values are read from forms like `name: value`, `name is value`, or an enum option named anywhere.",
        body: ref(UpdateParametersRequest),
        response: { 200: ref(UpdatedParameters, 'The values found'), ...MODEL_ERRORS }
      }
    },
    async (request) => ai.updateParameters(principalOf(request), request.body)
  )
}

export default routes
