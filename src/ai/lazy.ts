/**
 * A vendor client made on its first use, from an SDK imported then: a server that never calls
 * that vendor never loads its SDK (they were a large part of the time to start). Later calls share
 * the first one's client.
 */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => {
    made ??= make()
    return made
  }
}
