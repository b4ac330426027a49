import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { lookup as dnsLookupAsync } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * The guard that keeps outbound requests the service makes on a user's behalf (HTTP tools,
 * webhooks) from reaching the machine it runs on or its private network (SSRF).
 *
 * Only public unicast addresses pass: loopback, private (RFC 1918), carrier-grade NAT, link-local
 * (169.254/16, fe80::/10: cloud metadata lives there), unique-local (fc00::/7), unspecified,
 * multicast, broadcast, reserved and documentation ranges are refused. An IPv6 address that embeds
 * an IPv4 address (IPv4-compatible `::a.b.c.d`, IPv4-mapped, IPv4-translated, NAT64 `64:ff9b::/96`,
 * 6to4 `2002::/16`) is judged by the IPv4 address inside; the local-use NAT64 prefix
 * (`64:ff9b:1::/48`) and Teredo are refused outright. `allowPrivate` (config `WEBHOOK_ALLOW_PRIVATE`) turns the guard off.
 */

export class AddressNotAllowedError extends Error {
  readonly code = 'ADDRESS_NOT_ALLOWED'
  constructor(
    message: string,
    readonly address?: string
  ) {
    super(message)
    this.name = 'AddressNotAllowedError'
  }
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that route to it: IPv4-compatible
 * (`::a.b.c.d`), IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64
 * (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`). Null for any other IPv6 address.
 */
export function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const w = v6.parts
  const fromWords = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0)
  const last = () => fromWords(w[6] ?? 0, w[7] ?? 0)
  // `::` and `::1` are IPv6's own unspecified and loopback addresses, judged as such.
  if (zeros(0, 6) && !(w[6] === 0 && (w[7] === 0 || w[7] === 1))) return last()
  if (zeros(0, 5) && w[5] === 0xffff) return last()
  if (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) return last()
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return last()
  if (w[0] === 0x2002) return fromWords(w[1] ?? 0, w[2] ?? 0)
  return null
}

/** The reason an IP address is refused ('loopback', 'private', 'linkLocal', ...), or null when it is public. */
export function refusedRange(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return 'invalid'
  let addr = ipaddr.parse(ip)
  if (addr.kind() === 'ipv6') {
    // An address that embeds an IPv4 address is judged by the IPv4 address it leads to.
    addr = embeddedIPv4(addr as ipaddr.IPv6) ?? addr
  }
  const range = addr.range()
  return range === 'unicast' ? null : range
}

export function isPublicAddress(ip: string): boolean {
  return refusedRange(ip) === null
}

/** The hostname of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname
}

/** Parses and checks that a URL is http(s) with a host; throws AddressNotAllowedError otherwise. */
export function parseOutboundUrl(raw: string | URL): URL {
  let url: URL
  try {
    url = raw instanceof URL ? raw : new URL(raw)
  } catch {
    throw new AddressNotAllowedError(`Not a valid URL: ${String(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AddressNotAllowedError(`Only http and https URLs are allowed (got ${url.protocol})`)
  if (!hostOf(url)) throw new AddressNotAllowedError('The URL has no host')
  if (url.username || url.password) throw new AddressNotAllowedError('Credentials in the URL are not allowed')
  return url
}

/**
 * A check that needs no DNS: the URL's syntax, an IP-literal host, and names that always mean this
 * machine (`localhost`, `*.localhost`). Use it where a name may not resolve yet (when a webhook or
 * tool is saved); use `assertPublicAddress` before connecting.
 */
export function assertPublicUrlSyntax(raw: string | URL, allowPrivate: boolean): URL {
  const url = parseOutboundUrl(raw)
  if (allowPrivate) return url
  const host = hostOf(url).toLowerCase().replace(/\.$/, '')
  if (isIP(host)) {
    const why = refusedRange(host)
    if (why) throw new AddressNotAllowedError(`The address ${host} is not public (${why})`, host)
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    throw new AddressNotAllowedError(`The host ${host} is this machine (loopback)`, host)
  }
  return url
}

/**
 * Throws AddressNotAllowedError unless every address the URL's host resolves to is public (or
 * `allowPrivate`). Returns the resolved addresses. A name that resolves to several addresses is
 * refused if any of them is private, since the connection could pick that one.
 */
export async function assertPublicAddress(raw: string | URL, allowPrivate: boolean): Promise<LookupAddress[]> {
  const url = assertPublicUrlSyntax(raw, allowPrivate)
  const host = hostOf(url)
  if (isIP(host)) return [{ address: host, family: isIP(host) }]
  let addresses: LookupAddress[]
  try {
    addresses = await dnsLookupAsync(host, { all: true, verbatim: true })
  } catch (err) {
    throw new AddressNotAllowedError(`The host ${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'})`, host)
  }
  if (addresses.length === 0) throw new AddressNotAllowedError(`The host ${host} has no address`, host)
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = refusedRange(a.address)
      if (why) throw new AddressNotAllowedError(`The host ${host} resolves to ${a.address}, which is not public (${why})`, a.address)
    }
  }
  return addresses
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for `http.request`/`net.connect` that refuses private addresses at connect time, so a
 * name cannot pass `assertPublicAddress` and then resolve elsewhere when the socket opens (DNS
 * rebinding). Node calls `lookup` only for names, so check IP literals with `assertPublicAddress` first.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, options.all ? [] : '', undefined)
      if (!allowPrivate) {
        const bad = addresses.find((a) => refusedRange(a.address) !== null)
        if (bad) {
          const e = new AddressNotAllowedError(`The host ${hostname} resolves to ${bad.address}, which is not public`, bad.address) as AddressNotAllowedError &
            NodeJS.ErrnoException
          return callback(e, options.all ? [] : '', undefined)
        }
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]
      if (!first) {
        const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
        return callback(e, '', undefined)
      }
      callback(null, first.address, first.family)
    })
  }
}

/** True for an address that is not a public unicast address (or is not an IP address at all). */
export function isPrivateAddress(ip: string): boolean {
  return !isPublicAddress(ip)
}
