import { DomainError } from '../domain-error.js';

/**
 * Where the server may send requests of its own (webhook deliveries, imports): the one rule, applied when a
 * URL is saved and again to the address actually connected to, so neither a spelling of an address nor a
 * name that resolves (or re-resolves) to an internal address reaches the server's own network.
 */

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

export interface IpRange {
  bytes: IpBytes;
  prefixLength: number;
}

/**
 * What the operator allows besides public addresses: `'all'`, or these ranges (e.g. a CRM at 10.1.2.3/32).
 * An empty list (the default) allows only public addresses.
 */
export interface DestinationRules {
  allowPrivate: 'all' | readonly IpRange[];
}

export const PUBLIC_ONLY: DestinationRules = { allowPrivate: [] };

export type DestinationVerdict = { allowed: true } | { allowed: false; reason: string };

/** The setting that allows what this module refuses; named in refusals so an operator knows what to change. */
export const ALLOW_SETTING = 'KEYWARD_ALLOW_PRIVATE_DESTINATIONS';

/** One part of an inet_aton spelling: decimal, 0x hexadecimal, or octal with a leading 0. */
function ipv4Part(part: string): number | null {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return null;
}

/**
 * IPv4 in every spelling resolvers and URL parsers accept: `127.0.0.1`, `127.1`, `2130706433`, `0x7f000001`,
 * `0177.0.0.1`, `0x7f.1`, with or without a trailing dot. Null when it is no IPv4 address.
 */
export function parseIpv4(text: string): IpBytes | null {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const values = parts.map(ipv4Part);
  if (values.some((v) => v === null || !Number.isSafeInteger(v))) return null;
  const numbers = values as number[];
  const last = numbers[numbers.length - 1] as number;
  const head = numbers.slice(0, -1);
  if (head.some((v) => v > 255) || last >= 256 ** (5 - numbers.length)) return null;
  let value = last;
  head.forEach((v, i) => {
    value += v * 256 ** (3 - i);
  });
  return Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255);
}

/** IPv6, bracketed or not, with `::`, an IPv4 tail (`::ffff:127.0.0.1`) and a zone (`fe80::1%eth0`). */
export function parseIpv6(text: string): IpBytes | null {
  let rest = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = rest.indexOf('%');
  if (zone >= 0) rest = rest.slice(0, zone);
  if (!rest.includes(':') || !/^[0-9a-f:.]+$/i.test(rest)) return null;
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string | undefined): number[] | null => {
    if (!half) return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (piece.includes('.')) {
        if (i !== pieces.length - 1 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return null;
        const v4 = piece.split('.').map(Number);
        if (v4.some((n) => n > 255)) return null;
        const [a, b, c, d] = v4 as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(Number.parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 255;
  });
  return bytes;
}

/** An IP address in any spelling, or null for a name. */
export function parseIpAddress(text: string): IpBytes | null {
  return parseIpv6(text) ?? (text.includes(':') ? null : parseIpv4(text));
}

function inRange(bytes: IpBytes, range: IpRange): boolean {
  if (bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefixLength; bit++) {
    const mask = 0x80 >> (bit % 8);
    const byte = bit >> 3;
    if (((bytes[byte] as number) & mask) !== ((range.bytes[byte] as number) & mask)) return false;
  }
  return true;
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (`10.1.2.3`). */
export function parseIpRange(text: string): IpRange | null {
  const [address, prefix, extra] = text.trim().split('/');
  if (address === undefined || extra !== undefined) return null;
  const bytes = parseIpAddress(address);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (prefix === undefined) return { bytes, prefixLength: max };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
  return { bytes, prefixLength: Number(prefix) };
}

const range = (cidr: string): IpRange => parseIpRange(cidr) as IpRange;

/** IPv4 ranges that are not the public internet (IANA special-purpose registry), with why. */
const IPV4_REFUSED: Array<[IpRange, string]> = [
  [range('0.0.0.0/8'), 'an unspecified ("this network") address'],
  [range('10.0.0.0/8'), 'a private address'],
  [range('100.64.0.0/10'), 'a shared (carrier-grade NAT) address'],
  [range('127.0.0.0/8'), 'a loopback address'],
  [range('169.254.0.0/16'), 'a link-local address'],
  [range('172.16.0.0/12'), 'a private address'],
  [range('192.0.0.0/24'), 'a reserved address'],
  [range('192.0.2.0/24'), 'a documentation address'],
  [range('192.88.99.0/24'), 'a reserved address'],
  [range('192.168.0.0/16'), 'a private address'],
  [range('198.18.0.0/15'), 'a reserved (benchmarking) address'],
  [range('198.51.100.0/24'), 'a documentation address'],
  [range('203.0.113.0/24'), 'a documentation address'],
  [range('224.0.0.0/4'), 'a multicast address'],
  [range('240.0.0.0/4'), 'a reserved address'],
];

/** IPv6 ranges whose last 32 bits are an IPv4 address the packet goes to: judged as that address. */
const IPV6_CARRYING_IPV4 = [range('::ffff:0:0/96'), range('64:ff9b::/96')];

const IPV6_REFUSED: Array<[IpRange, string]> = [
  [range('::/128'), 'an unspecified address'],
  [range('::1/128'), 'a loopback address'],
  [range('fc00::/7'), 'a private (unique local) address'],
  [range('fe80::/10'), 'a link-local address'],
  [range('fec0::/10'), 'a private (site-local) address'],
  [range('ff00::/8'), 'a multicast address'],
  [range('2001::/23'), 'a reserved address'],
  [range('2001:db8::/32'), 'a documentation address'],
  [range('2002::/16'), 'a reserved (6to4) address'],
  [range('3fff::/20'), 'a documentation address'],
];

/** Only 2000::/3 is allocated as global unicast; anything else is special or unassigned. */
const IPV6_GLOBAL = range('2000::/3');

/** Why an address is not on the public internet, or null when it is. */
export function nonPublicReason(bytes: IpBytes): string | null {
  if (bytes.length === 4) return IPV4_REFUSED.find(([r]) => inRange(bytes, r))?.[1] ?? null;
  if (IPV6_CARRYING_IPV4.some((r) => inRange(bytes, r))) return nonPublicReason(bytes.slice(12));
  const listed = IPV6_REFUSED.find(([r]) => inRange(bytes, r));
  if (listed) return listed[1];
  return inRange(bytes, IPV6_GLOBAL) ? null : 'a reserved address';
}

function operatorAllows(bytes: IpBytes, rules: DestinationRules): boolean {
  if (rules.allowPrivate === 'all') return true;
  const asV4 =
    bytes.length === 16 && inRange(bytes, IPV6_CARRYING_IPV4[0] as IpRange) ? bytes.slice(12) : null;
  return rules.allowPrivate.some((r) => inRange(bytes, r) || (asV4 !== null && inRange(asV4, r)));
}

/**
 * May the server connect to this address? Public addresses yes; loopback, private, link-local, multicast,
 * unspecified, shared and reserved ones only where the operator allows them. Takes any spelling; something
 * that is no IP address is refused.
 */
export function destinationVerdict(address: string, rules: DestinationRules): DestinationVerdict {
  const bytes = parseIpAddress(address);
  if (!bytes) return { allowed: false, reason: `${address} is no IP address` };
  const reason = nonPublicReason(bytes);
  if (reason === null || operatorAllows(bytes, rules)) return { allowed: true };
  return { allowed: false, reason: `${address} is ${reason}` };
}

/** Names that always mean this machine (RFC 6761): refused like 127.0.0.1 without asking a resolver. */
function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a URL the server will send requests to (a webhook's `url`, an import's `baseUrl`) when it is saved:
 * http or https, no credentials, and no literal address (in any spelling) or loopback name the rules refuse.
 * Other names are checked on the address they resolve to when connecting. Returns the normalised URL.
 */
export function checkDestinationUrl(value: string, rules: DestinationRules, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DomainError('INVALID_INPUT', `${field} must be an absolute http or https URL`, { field });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new DomainError('INVALID_INPUT', `${field} must be an absolute http or https URL`, { field });
  if (url.username || url.password)
    throw new DomainError('INVALID_INPUT', `${field} must not hold credentials`, { field });
  checkDestinationHost(url.hostname, rules, field);
  return url.toString();
}

/**
 * Checks a host name or address the server will connect to (a webhook URL's host, an SMTP server) when it is
 * saved: no literal address (in any spelling) or loopback name the rules refuse. Other names are checked on
 * the address they resolve to when connecting.
 */
export function checkDestinationHost(host: string, rules: DestinationRules, field: string): void {
  const verdict = isLoopbackName(host)
    ? destinationVerdict('127.0.0.1', rules)
    : parseIpAddress(host)
      ? destinationVerdict(host, rules)
      : ({ allowed: true } as const);
  if (!verdict.allowed)
    throw new DomainError(
      'INVALID_INPUT',
      `${field}: ${host} is not a public address; this server sends only to public addresses ` +
        `(its operator can allow others with ${ALLOW_SETTING})`,
      { field },
    );
}

/**
 * Reads the operator's setting: `true` (or `on`) allows every address, `false`/`off`/unset none, or a
 * comma-separated list of addresses and ranges (`10.0.0.0/8,fd00::/8`). Null when it cannot be read.
 */
export function parseDestinationRules(value: string | undefined): DestinationRules | null {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === 'off') return PUBLIC_ONLY;
  if (text === 'true' || text === 'on') return { allowPrivate: 'all' };
  const ranges = text.split(',').map(parseIpRange);
  if (ranges.some((r) => r === null)) return null;
  return { allowPrivate: ranges as IpRange[] };
}
