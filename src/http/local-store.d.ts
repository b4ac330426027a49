/** @fastify/rate-limit's in-memory store, which the package ships without types; `rate-limit.ts` gives it its shape. */
declare module '@fastify/rate-limit/store/LocalStore.js' {
  const LocalStore: unknown
  export default LocalStore
}
