import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/**
 * Which addresses an outbound request (webhooks, HTTP tools) may reach. Private, loopback,
 * link-local, unspecified, multicast, documentation, CGNAT and IPv4-mapped/translated IPv6
 * addresses are refused unless private addresses are allowed (`WEBHOOK_ALLOW_PRIVATE`).
 */
// Two lists: Node checks an IPv4 address against IPv6 rules too (as IPv4-mapped), which would
// put every IPv4 address under `::ffff:0:0/96`.
const blocked4 = new BlockList()
const blocked6 = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network, unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4] // reserved, broadcast
] as const) {
  blocked4.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8] // multicast
] as const) {
  blocked6.addSubnet(net, prefix, 'ipv6')
}

/** Thrown when an address may not be reached. */
export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED'
  constructor(message: string) {
    super(message)
    this.name = 'AddressNotAllowedError'
  }
}

function bare(ip: string): string {
  let s = ip.trim()
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  const zone = s.indexOf('%')
  return zone >= 0 ? s.slice(0, zone) : s
}

/** True for an address that is not a public unicast address (or is not an IP address at all). */
export function isPrivateAddress(ip: string): boolean {
  const addr = bare(ip)
  const family = isIP(addr)
  if (family === 4) return blocked4.check(addr, 'ipv4')
  if (family === 6) return blocked6.check(addr, 'ipv6')
  return true
}

/**
 * Checks a URL before it is stored or called: http(s) only, and unless `allowPrivate`, its host
 * must be (or resolve only to) public addresses. Throws AddressNotAllowedError otherwise. This is
 * the early check; `guardedLookup` repeats it at connect time, on the address actually connected to.
 */
export async function assertPublicAddress(url: string | URL, allowPrivate: boolean): Promise<void> {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : url
  } catch {
    throw new AddressNotAllowedError('Not a valid URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AddressNotAllowedError('Only http and https URLs are allowed')
  }
  if (allowPrivate) return
  const host = bare(parsed.hostname)
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw new AddressNotAllowedError(`The address ${host} is private, loopback or reserved`)
    return
  }
  let addresses: LookupAddress[]
  try {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true }, (err, list) => (err ? reject(err) : resolve(list)))
    )
  } catch {
    throw new AddressNotAllowedError(`The host ${host} could not be resolved`)
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address))
  if (bad) throw new AddressNotAllowedError(`The host ${host} resolves to ${bad.address}, a private, loopback or reserved address`)
}

/**
 * A `lookup` for net/tls/undici connections that drops addresses that may not be reached, so the
 * address checked is the one connected to (no DNS rebinding between check and connect). When no
 * address is left the connection fails with AddressNotAllowedError.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number } & Record<string, unknown>, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err)
      const usable = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address))
      if (usable.length === 0) {
        return callback(new AddressNotAllowedError(`The host ${hostname} resolves only to private, loopback or reserved addresses`))
      }
      if (options?.all) callback(null, usable)
      else callback(null, usable[0].address, usable[0].family)
    })
  }) as unknown as LookupFunction
}
