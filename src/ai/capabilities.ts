import type { MediaInputKind } from './types.js'

/**
 * What a model takes besides text, known from its provider and name. A provider's API decides the
 * wire format; the model decides whether it looks at pictures or video. Names not listed here are
 * taken to read text only, so an image is refused clearly rather than sent to a model that fails
 * on it or, worse, ignores it.
 */
const IMAGE_MODELS: Record<string, RegExp | undefined> = {
  // OpenAI: GPT-4o, GPT-4.1, GPT-4.5, GPT-4 Turbo, GPT-5 and the o-series since o1 (not the -mini
  // of o1 and o3). On OpenAI-compatible servers: the open vision models by their usual names.
  openai:
    /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-4-vision|gpt-4-\d{4}-vision|gpt-5|o1(?!-mini)|o3(?!-mini)|o4)|llava|bakllava|vision|pixtral|gemma-?3|qwen2(\.5)?-?vl|minicpm-v|llama-?4|[-_]vl\b/i,
  // Anthropic: every Claude since Claude 3.
  anthropic: /^claude-(3|(sonnet|opus|haiku)-[4-9]|[4-9])/i,
  // Groq: Llama 4 and the vision previews.
  groq: /llama-4|vision|llava/i,
  // Bedrock (Converse): Claude 3 and later, Nova Lite/Pro/Premier, Llama 3.2 11B/90B and Llama 4, Pixtral;
  // an inference profile's region prefix (`us.`, `eu.`, ...) is allowed.
  bedrock:
    /(^|\.)(anthropic\.claude-(3|(sonnet|opus|haiku)-[4-9]|[4-9])|amazon\.nova-(lite|pro|premier)|meta\.llama3-2-(11|90)b|meta\.llama4|mistral\.pixtral)/i
}

/** Video is read by Bedrock's Nova Lite, Pro and Premier (the other providers' APIs take none). */
const VIDEO_MODELS: Record<string, RegExp | undefined> = {
  bedrock: /(^|\.)amazon\.nova-(lite|pro|premier)/i
}

/** What `model` of `providerId` takes besides text; `offline` and unknown names take nothing. */
export function mediaInputsOf(providerId: string, model: string): MediaInputKind[] {
  const out: MediaInputKind[] = []
  if (IMAGE_MODELS[providerId]?.test(model)) out.push('image')
  if (VIDEO_MODELS[providerId]?.test(model)) out.push('video')
  return out
}
