import http from 'node:http'
import https from 'node:https'
import { assertPublicAddress, guardedLookup } from '../../net/address-guard.js'
import type { RunnableTool, ToolContext } from './types.js'

export interface HttpToolTarget {
  url: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
}

export interface HttpToolOptions {
  /** Let the tool reach private and loopback addresses (config `WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivate: boolean
  timeoutMs?: number
  /** Bytes of the response kept; the rest is cut. */
  maxResponseBytes?: number
}

export class HttpToolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HttpToolError'
  }
}

const USER_AGENT = 'assistant-backend-tool/1'

/**
 * Calls a custom HTTP tool: GET and DELETE send the arguments as query parameters, the others as a
 * JSON body. The address is checked before connecting and again when the socket resolves the name
 * (so DNS rebinding cannot reach a private address); redirects are not followed; time and response
 * size are bounded. Returns `{status, body}` as JSON text for the model.
 */
export async function callHttpTool(target: HttpToolTarget, args: Record<string, unknown>, ctx: ToolContext, options: HttpToolOptions): Promise<string> {
  const url = new URL(target.url)
  await assertPublicAddress(url, options.allowPrivate)
  const sendsBody = target.method !== 'GET' && target.method !== 'DELETE'
  if (!sendsBody) {
    for (const [k, v] of Object.entries(args)) {
      if (v === undefined || v === null) continue
      url.searchParams.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v))
    }
  }
  const body = sendsBody ? JSON.stringify(args) : undefined
  const maxBytes = options.maxResponseBytes ?? 16 * 1024
  const timeoutMs = options.timeoutMs ?? 10_000
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)])
  const client = url.protocol === 'https:' ? https : http

  return new Promise<string>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: target.method,
        lookup: guardedLookup(options.allowPrivate) as never,
        signal,
        headers: {
          'user-agent': USER_AGENT,
          accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {})
        }
      },
      (res) => {
        const parts: Buffer[] = []
        let size = 0
        let truncated = false
        res.on('data', (chunk: Buffer) => {
          if (truncated) return
          size += chunk.length
          if (size > maxBytes) {
            parts.push(chunk.subarray(0, chunk.length - (size - maxBytes)))
            truncated = true
            res.destroy()
            finish()
          } else parts.push(chunk)
        })
        res.on('end', finish)
        res.on('error', (err) => {
          if (!truncated) reject(new HttpToolError(`The tool's response broke off: ${err.message}`))
        })
        let done = false
        function finish() {
          if (done) return
          done = true
          const text = Buffer.concat(parts).toString('utf8')
          const status = res.statusCode ?? 0
          let parsed: unknown = text
          if (/json/i.test(String(res.headers['content-type'] ?? '')) && !truncated) {
            try {
              parsed = JSON.parse(text)
            } catch {
              parsed = text
            }
          }
          if (status >= 300 && status < 400) {
            return reject(new HttpToolError(`The tool answered with a redirect (${status}), which is not followed`))
          }
          resolve(JSON.stringify({ status, ok: status >= 200 && status < 300, body: parsed, ...(truncated ? { truncated: true } : {}) }))
        }
      }
    )
    req.on('error', (err) => {
      if (signal.aborted) {
        const reason = signal.reason as { name?: string } | undefined
        return reject(new HttpToolError(reason?.name === 'TimeoutError' ? `The tool did not answer within ${timeoutMs} ms` : 'The tool call was cancelled'))
      }
      reject(new HttpToolError(err.message))
    })
    req.end(body)
  })
}

/** A custom HTTP tool as the tool loop runs it. */
export function httpRunnable(
  tool: { id: string; name: string; description: string; parameters: Record<string, unknown> } & HttpToolTarget,
  options: HttpToolOptions
): RunnableTool {
  return {
    id: tool.id,
    spec: { name: tool.name, description: tool.description, parameters: tool.parameters },
    run: (args, ctx) => callHttpTool(tool, args, ctx, options)
  }
}
