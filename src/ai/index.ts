export * from './types.js'
export { generateReply, type GenerateReplyInput, type ReplyResult, type ReplySink, type ToolResult, type AssistantStatus } from './reply.js'
export { ModelRegistry, ModelResolutionError, parseModelName, type ModelInfo, type ResolvedModel } from './registry.js'
export type { RunnableTool, ToolDefinition } from './tools/types.js'
