import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import formats from 'ajv-formats'
import t from 'tap'

/**
 * Every example in every committed OpenAPI document — of a named schema or of any schema inside
 * one, of a parameter, a header, a request or a response body — is valid against the schema it
 * illustrates, with that schema's `$ref`s resolved against the document's components. An example
 * left behind by a changed schema fails here.
 */

const DOCUMENTS = ['openapi.json', 'chat-app.json', 'classic.json', 'dispatch.json']

type Node = Record<string, unknown>
interface Example {
  /** Where the example is, as a JSON pointer into the document. */
  at: string
  /** The JSON pointer of the schema it must satisfy. */
  schema: string
  value: unknown
}

const isObject = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value)
const pointer = (base: string, ...keys: (string | number)[]) => base + keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

// The keywords of JSON Schema 2020-12 (OpenAPI 3.1's dialect) whose values are schemas.
const ONE_SCHEMA = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties']
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems']
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas']

/** The examples of a schema and of every schema inside it. */
function schemaExamples(schema: unknown, at: string, out: Example[]): void {
  if (!isObject(schema)) return
  if (Array.isArray(schema.examples)) for (const [i, value] of schema.examples.entries()) out.push({ at: pointer(at, 'examples', i), schema: at, value })
  if ('example' in schema) out.push({ at: pointer(at, 'example'), schema: at, value: schema.example })
  for (const key of ONE_SCHEMA) schemaExamples(schema[key], pointer(at, key), out)
  for (const key of SCHEMA_LISTS) {
    const list = schema[key]
    if (Array.isArray(list)) for (const [i, s] of list.entries()) schemaExamples(s, pointer(at, key, i), out)
  }
  for (const key of SCHEMA_MAPS) {
    const map = schema[key]
    if (isObject(map)) for (const [name, s] of Object.entries(map)) schemaExamples(s, pointer(at, key, name), out)
  }
}

/**
 * The examples of the objects that carry a `schema` (parameters, headers, media types), of the
 * schemas they carry, and of the named schemas.
 */
function documentExamples(doc: Node, node: unknown, at: string, out: Example[]): void {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) documentExamples(doc, item, pointer(at, i), out)
    return
  }
  if (!isObject(node)) return
  if (at === '#/components/schemas') {
    for (const [name, schema] of Object.entries(node)) schemaExamples(schema, pointer(at, name), out)
    return
  }
  if (isObject(node.schema)) {
    const schemaAt = pointer(at, 'schema')
    schemaExamples(node.schema, schemaAt, out)
    if ('example' in node) out.push({ at: pointer(at, 'example'), schema: schemaAt, value: node.example })
    if (isObject(node.examples)) {
      for (const [name, entry] of Object.entries(node.examples)) {
        const example = isObject(entry) && typeof entry.$ref === 'string' ? resolve(doc, entry.$ref) : entry
        if (isObject(example) && 'value' in example) out.push({ at: pointer(at, 'examples', name), schema: schemaAt, value: example.value })
      }
    }
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'schema') documentExamples(doc, value, pointer(at, key), out)
}

/** The validator of the schema at a pointer of the document added to `ajv` as `id`. */
function validatorAt(ajv: Ajv2020, id: string, at: string) {
  // A fragment in a URI: each pointer segment percent-encoded (paths hold `{` and `}`).
  return ajv.getSchema(`${id}#${at.slice(1).split('/').map(encodeURIComponent).join('/')}`)
}

function resolve(doc: Node, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (isObject(node) ? node[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc)
}

for (const file of DOCUMENTS) {
  t.test(`every example in openapi/${file} fits its schema`, async (t) => {
    const doc = JSON.parse(readFileSync(new URL(`../openapi/${file}`, import.meta.url), 'utf8')) as Node
    // The whole document is one schema resource, so `#/components/schemas/…` resolves in it.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
    // ajv-formats is CommonJS: its plugin is the module, and the module's `default` as well.
    formats.default(ajv)
    ajv.addSchema(doc, file)
    const examples: Example[] = []
    documentExamples(doc, doc, '#', examples)
    t.ok(examples.length > 0, `${examples.length} examples`)
    for (const example of examples) {
      const validate = validatorAt(ajv, file, example.schema)
      if (!validate) {
        t.fail(`${example.at}: no schema at ${example.schema}`)
        continue
      }
      const valid = validate(example.value)
      t.ok(valid, `${example.at} ${valid ? '' : ajv.errorsText(validate.errors)}`)
    }
  })
}

t.test('a stale example is caught', async (t) => {
  const doc: Node = {
    openapi: '3.1.0',
    paths: {
      '/things/{id}': {
        get: { responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' }, example: { id: 'x', size: 'big' } } } } } }
      }
    },
    components: { schemas: { Thing: { type: 'object', properties: { id: { type: 'string' }, size: { type: 'integer', examples: [3, 'three'] } } } } }
  }
  const examples: Example[] = []
  documentExamples(doc, doc, '#', examples)
  t.same(
    examples.map((e) => e.at),
    [
      '#/paths/~1things~1{id}/get/responses/200/content/application~1json/example',
      '#/components/schemas/Thing/properties/size/examples/0',
      '#/components/schemas/Thing/properties/size/examples/1'
    ],
    'found in bodies and inside named schemas'
  )
  const ajv = new Ajv2020({ strict: false, validateSchema: false })
  ajv.addSchema(doc, 'doc')
  const valid = examples.map((e) => validatorAt(ajv, 'doc', e.schema)?.(e.value))
  t.same(valid, [false, true, false], 'the wrong ones fail, through a $ref too')
})
