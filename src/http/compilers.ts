import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { Options as AjvOptions } from 'ajv'

export const AJV_OPTIONS = { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } as const

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown }
type AjvCompile = ReturnType<BuildCompilerFromPool>
type SerializerFactory = ReturnType<typeof SerializerSelector>

/**
 * The schema compilers of the app: validators and response serializers are compiled on a route's
 * first use rather than when the route is registered. Compiling all of them up front (Ajv for
 * every request part, fast-json-stringify re-checking each shared schema per route and status)
 * was nearly all of the start time, and every in-process test app paid it for routes it never
 * called. A server calls `warmUp()` once it listens, so real traffic rarely meets a cold route.
 */
export class LazySchemaCompilers {
  private readonly cold = new Set<() => void>()
  private readonly ajvPool = AjvCompiler()

  /**
   * Validators that coerce types only where everything arrives as text (query strings, path
   * parameters, headers): a JSON body is validated strictly, so `{"name": 42}` is refused, not stored as "42".
   * A multipart body's schema (a route's `body.content['multipart/form-data']`) documents its parts:
   * the body is a stream its handler reads and checks as it arrives.
   */
  readonly buildValidator: BuildCompilerFromPool = (externalSchemas, options) => {
    const pool = this.ajvPool
    const custom: AjvOptions = { ...(options?.customOptions as AjvOptions | undefined), ...AJV_OPTIONS }
    const streamed = Object.assign(() => true, { errors: null })
    // Ajv instances (each adding and checking every shared schema) are made with the first compile too.
    const coercing = () => pool(externalSchemas, { customOptions: custom })
    const strict = () => pool(externalSchemas, { customOptions: { ...custom, coerceTypes: false } })
    return ((route: Parameters<AjvCompile>[0]) => {
      if (route.httpPart === 'body' && (route as { contentType?: string }).contentType?.startsWith('multipart/')) return streamed
      let compiled: Validate | undefined
      const compile = () => {
        compiled ??= (route.httpPart === 'body' ? strict : coercing)()(route) as unknown as Validate
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
    return (route: Parameters<typeof factory>[0]) => {
      let serialize: ((doc: unknown) => string) | undefined
      const compile = () => {
        serialize ??= factory(route)
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
