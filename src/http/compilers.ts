import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { Options as AjvOptions } from 'ajv'

export const AJV_OPTIONS = { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } as const

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown }
type AjvCompile = ReturnType<BuildCompilerFromPool>
type SerializerFactory = ReturnType<typeof SerializerSelector>

/**
 * Compiled validators and serializers are pure functions of their schemas, which are module-level
 * constants: apps built in one process (the tests build many) share them rather than compiling
 * each again. Ajv's pool keys its instances by the shared schemas and options, and an Ajv
 * instance caches what it compiled by schema object, but route options give each app its own
 * copies of its schemas: validators and serializers are cached here by their schema's text.
 */
const ajvPool = AjvCompiler()
const validatorCache = new WeakMap<AjvCompile, Map<string, Validate>>()
const serializerCache = new Map<string, (doc: unknown) => string>()

function sharedValidator(ajv: AjvCompile, route: Parameters<AjvCompile>[0]): Validate {
  let bySchema = validatorCache.get(ajv)
  if (!bySchema) {
    bySchema = new Map()
    validatorCache.set(ajv, bySchema)
  }
  const key = `${route.httpPart}|${JSON.stringify(route.schema)}`
  let validate = bySchema.get(key)
  if (!validate) {
    validate = ajv(route) as unknown as Validate
    bySchema.set(key, validate)
  }
  return validate
}

/**
 * The schema compilers of the app: validators and response serializers are compiled on a route's
 * first use rather than when the route is registered. Compiling all of them up front (Ajv for
 * every request part, fast-json-stringify re-checking each shared schema per route and status)
 * was nearly all of the start time, and every in-process test app paid it for routes it never
 * called. A server calls `warmUp()` once it listens, so real traffic rarely meets a cold route.
 */
export class LazySchemaCompilers {
  private readonly cold = new Set<() => void>()

  /**
   * Validators that coerce types only where everything arrives as text (query strings, path
   * parameters, headers): a JSON body is validated strictly, so `{"name": 42}` is refused, not stored as "42".
   * A multipart body's schema (a route's `body.content['multipart/form-data']`) documents its parts:
   * the body is a stream its handler reads and checks as it arrives.
   */
  readonly buildValidator: BuildCompilerFromPool = (externalSchemas, options) => {
    const custom: AjvOptions = { ...(options?.customOptions as AjvOptions | undefined), ...AJV_OPTIONS }
    const streamed = Object.assign(() => true, { errors: null })
    // Ajv instances (each adding and checking every shared schema) are looked up with the first compile too.
    let coercingAjv: AjvCompile | undefined
    let strictAjv: AjvCompile | undefined
    const coercing = () => (coercingAjv ??= ajvPool(externalSchemas, { customOptions: custom }))
    const strict = () => (strictAjv ??= ajvPool(externalSchemas, { customOptions: { ...custom, coerceTypes: false } }))
    return ((route: Parameters<AjvCompile>[0]) => {
      if (route.httpPart === 'body' && (route as { contentType?: string }).contentType?.startsWith('multipart/')) return streamed
      let compiled: Validate | undefined
      const compile = () => {
        compiled ??= sharedValidator((route.httpPart === 'body' ? strict : coercing)(), route)
        this.cold.delete(compile)
        return compiled
      }
      this.cold.add(compile)
      // Fastify reads `schemaEnv` before the first call (to let Ajv coerce a root value) and
      // `errors` after each call: both are those of the compiled Ajv function.
      const validate: Validate = (data, context) => {
        const fn = compile()
        const result = fn(data, context)
        validate.errors = fn.errors
        return result
      }
      validate.schemaEnv = true
      validate.errors = null
      return validate
    }) as unknown as AjvCompile
  }

  readonly buildSerializer = (externalSchemas?: unknown, options?: Parameters<SerializerFactory>[1]) => {
    const factory = SerializerSelector()(externalSchemas, options)
    const shared = `${Object.keys((externalSchemas as object | undefined) ?? {})
      .sort()
      .join(',')}|${JSON.stringify(options ?? {})}`
    const cached = (route: Parameters<typeof factory>[0]) => {
      const key = `${route.httpStatus}|${(route as { contentType?: string }).contentType ?? ''}|${shared}|${JSON.stringify(route.schema)}`
      let serialize = serializerCache.get(key)
      if (!serialize) {
        serialize = factory(route)
        serializerCache.set(key, serialize)
      }
      return serialize
    }
    return (route: Parameters<typeof factory>[0]) => {
      let serialize: ((doc: unknown) => string) | undefined
      const compile = () => {
        serialize ??= cached(route)
        this.cold.delete(compile)
        return serialize
      }
      this.cold.add(compile)
      return (doc: unknown) => compile()(doc)
    }
  }

  /** Compiles what is still cold a few at a time, yielding to the event loop between batches. */
  async warmUp(batch = 8): Promise<void> {
    while (this.cold.size) {
      let n = 0
      for (const compile of this.cold) {
        compile()
        if (++n >= batch) break
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}
