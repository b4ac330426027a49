import { DomainError } from './errors.js'

export interface PageQuery {
  page?: number
  size?: number
  sort?: string
}

/** One page of a list: its items, the total count, and where the page is. Surfaces wrap it in their envelope. */
export interface Page<T> {
  items: T[]
  total: number
  page: number
  size: number
}

export interface PageWindow {
  page: number
  size: number
  offset: number
}

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

export function pageWindow(q: PageQuery): PageWindow {
  const page = Math.max(1, Math.floor(q.page ?? 1))
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(q.size ?? DEFAULT_PAGE_SIZE)))
  return { page, size, offset: (page - 1) * size }
}

export function toPage<T>(items: T[], total: number, w: PageWindow): Page<T> {
  return { items, total, page: w.page, size: w.size }
}

export interface Sort<F extends string> {
  field: F
  direction: 'asc' | 'desc'
}

/** Parses `sort=field:asc|desc` against the fields a list may be sorted by. */
export function parseSort<F extends string>(sort: string | undefined, allowed: readonly F[], fallback: Sort<F>): Sort<F> {
  if (sort === undefined || sort === '') return fallback
  const [field, direction = 'asc', extra] = sort.split(':')
  if (extra !== undefined || !allowed.includes(field as F) || (direction !== 'asc' && direction !== 'desc')) {
    throw new DomainError('VALIDATION_ERROR', `sort must be one of ${allowed.map((f) => `${f}:asc|desc`).join(', ')}`, [
      { field: 'sort', message: `expected field:asc|desc with field in ${allowed.join(', ')}` }
    ])
  }
  return { field: field as F, direction }
}
