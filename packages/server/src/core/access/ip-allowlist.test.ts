import { describe, expect, it } from 'vitest';
import { DomainError } from '../domain-error.js';
import { parseAllowlist } from './ip-allowlist.js';

describe('parseAllowlist', () => {
  const accepted: [string, string[], string[]][] = [
    // entry, addresses it lets in, addresses it keeps out
    ['203.0.113.7', ['203.0.113.7'], ['203.0.113.8']],
    ['10.0.0.0/8', ['10.0.0.1', '10.255.255.255'], ['11.0.0.0', '9.255.255.255']],
    [' 192.168.1.0/24 ', ['192.168.1.200'], ['192.168.2.1']],
    ['10.0.0.1/32', ['10.0.0.1'], ['10.0.0.2']],
    ['0.0.0.0/0', ['8.8.8.8', '10.1.2.3'], []],
    ['::1', ['::1'], ['::2']],
    ['2001:db8::/32', ['2001:db8::1', '2001:db8:ffff::1'], ['2001:db9::1']],
    ['2001:db8::1/128', ['2001:db8::1'], ['2001:db8::2']],
    ['fe80::/10', ['fe80::abcd'], ['fec0::1']],
  ];

  it.each(accepted)('accepts %j', (entry, inside, outside) => {
    const list = parseAllowlist([entry]);
    const family = (ip: string) => (ip.includes(':') ? 'ipv6' : 'ipv4');
    expect(inside.map((ip) => list.check(ip, family(ip)))).toEqual(inside.map(() => true));
    expect(outside.map((ip) => list.check(ip, family(ip)))).toEqual(outside.map(() => false));
  });

  it('combines several entries of both families', () => {
    const list = parseAllowlist(['127.0.0.0/8', '::1', '198.51.100.0/24']);
    expect([
      list.check('127.0.0.1', 'ipv4'),
      list.check('::1', 'ipv6'),
      list.check('198.51.100.9', 'ipv4'),
      list.check('198.51.101.9', 'ipv4'),
    ]).toEqual([true, true, true, false]);
  });

  it('an empty list lets nobody in by itself', () => {
    expect(parseAllowlist([]).check('127.0.0.1', 'ipv4')).toBe(false);
  });

  it.each([
    'localhost',
    '',
    '   ',
    '300.1.1.1',
    '10.0.0',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/-1',
    '10.0.0.0/8.5',
    '10.0.0.0/abc',
    '10.0.0.0/',
    '10.0.0.1/',
    '2001:db8::/',
    '10.0.0.0/8/8',
    '10.0.0.0/1e1',
    '10.0.0.0/0x8',
    '/8',
    '10.0.0.0 /8',
  ])('refuses %j with INVALID_INPUT naming the entry', (entry) => {
    let error: unknown;
    try {
      parseAllowlist(['127.0.0.1', entry]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    const { code, message, details } = error as DomainError;
    expect([code, message, details]).toEqual([
      'INVALID_INPUT',
      `"${entry}" is not an IP address or CIDR range`,
      { field: 'ipAllowlist' },
    ]);
  });
});
