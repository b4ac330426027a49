/** The asset listing the files a single executable carries. */
export const MANIFEST_ASSET = 'resources.json'

export interface ResourceManifest {
  /** A hash of every file's path and content: each build unpacks into a folder of its own. */
  id: string
  /** Paths from the project's root; each is also the key of the asset that holds the file. */
  files: string[]
}
