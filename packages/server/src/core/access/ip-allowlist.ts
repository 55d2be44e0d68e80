import { BlockList, isIP } from 'node:net';
import { DomainError } from '../domain-error.js';

/** Accepts addresses and CIDR ranges, IPv4 and IPv6; throws INVALID_INPUT naming the bad entry. */
export function parseAllowlist(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, ...extra] = entry.trim().split('/');
    const family = isIP(address);
    // Decimal digits only: Number('') is 0, which would turn a typo like "10.0.0.1/" into "every address".
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    const maxBits = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra.length > 0 ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= maxBits))
    ) {
      throw new DomainError('INVALID_INPUT', `"${entry}" is not an IP address or CIDR range`, {
        field: 'ipAllowlist',
      });
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Whether a client address is one of the allow-list's addresses or inside one of its ranges. */
export function isAllowedAddress(allowlist: string[], ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const list = parseAllowlist(allowlist);
  // IPv4 clients reached over an IPv6 socket show up as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return (
    list.check(ip, family === 6 ? 'ipv6' : 'ipv4') || (mapped !== undefined && list.check(mapped, 'ipv4'))
  );
}
