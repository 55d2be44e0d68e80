import { describe, expect, it } from 'vitest';
import { isDomainError } from '../domain-error.js';
import {
  checkDestinationUrl,
  type DestinationRules,
  destinationVerdict,
  PUBLIC_ONLY,
  parseDestinationRules,
  parseIpAddress,
} from './network-destinations.js';

const ALL: DestinationRules = { allowPrivate: 'all' };
const dotted = (text: string) => {
  const bytes = parseIpAddress(text);
  return bytes && bytes.length === 4 ? [...bytes].join('.') : bytes;
};

describe('parseIpAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['017700000001', '127.0.0.1'],
    ['1.2.3', '1.2.0.3'],
  ])('reads the IPv4 spelling %s', (text, expected) => {
    expect(dotted(text)).toBe(expected);
  });

  it.each([
    'example.com',
    '256.0.0.1',
    '1.2.3.4.5',
    '4294967296',
    '08.0.0.1',
    '1..2',
    '',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '::ffff:1.2.3',
    '::ffff:256.0.0.1',
  ])('%s is no address', (text) => {
    expect(parseIpAddress(text)).toBeNull();
  });

  it('reads IPv6 with brackets, compression, an IPv4 tail and a zone', () => {
    const loopback = [...(parseIpAddress('::1') as Uint8Array)];
    expect(loopback).toEqual([...Array(15).fill(0), 1]);
    expect([...(parseIpAddress('[0:0:0:0:0:0:0:1]') as Uint8Array)]).toEqual(loopback);
    expect([...(parseIpAddress('::ffff:127.0.0.1') as Uint8Array)]).toEqual([
      ...(parseIpAddress('[::ffff:7f00:1]') as Uint8Array),
    ]);
    expect(parseIpAddress('fe80::1%eth0')?.[0]).toBe(0xfe);
  });
});

describe('destinationVerdict', () => {
  it.each([
    // Loopback in every spelling the review used, and more.
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    // Unspecified: connecting to it reaches this machine.
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    // Private, shared, link-local (cloud metadata), multicast, reserved, documentation.
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.169.254', 'link-local'],
    ['0xa9fea9fe', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['100::1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['not-an-address', 'no IP address'],
  ])('refuses %s (%s)', (address, why) => {
    const verdict = destinationVerdict(address, PUBLIC_ONLY);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed === false && verdict.reason).toContain(why);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows the public address %s', (address) => {
    expect(destinationVerdict(address, PUBLIC_ONLY)).toEqual({ allowed: true });
  });

  it('allows internal addresses only as the operator says', () => {
    expect(destinationVerdict('127.0.0.1', ALL)).toEqual({ allowed: true });
    expect(destinationVerdict('::1', ALL)).toEqual({ allowed: true });
    const crm = parseDestinationRules('10.1.2.0/24, fd00::/8') as DestinationRules;
    expect(destinationVerdict('10.1.2.3', crm)).toEqual({ allowed: true });
    expect(destinationVerdict('::ffff:10.1.2.3', crm)).toEqual({ allowed: true });
    expect(destinationVerdict('fd00::5', crm)).toEqual({ allowed: true });
    expect(destinationVerdict('10.1.3.1', crm).allowed).toBe(false);
    expect(destinationVerdict('169.254.169.254', crm).allowed).toBe(false);
    expect(destinationVerdict('127.0.0.1', crm).allowed).toBe(false);
  });
});

describe('parseDestinationRules', () => {
  it.each([
    [undefined, PUBLIC_ONLY],
    ['', PUBLIC_ONLY],
    ['false', PUBLIC_ONLY],
    ['off', PUBLIC_ONLY],
    ['true', ALL],
    ['on', ALL],
  ])('reads %s', (value, expected) => {
    expect(parseDestinationRules(value)).toEqual(expected);
  });

  it.each(['yes', '10.0.0.0/33', '10.0.0.0/8,', 'fd00::/129', '10.0.0.0/8/1', 'intranet'])(
    'refuses %s',
    (value) => {
      expect(parseDestinationRules(value)).toBeNull();
    },
  );
});

describe('checkDestinationUrl', () => {
  const refused = (url: string, rules: DestinationRules = PUBLIC_ONLY) => {
    try {
      checkDestinationUrl(url, rules, 'url');
      return null;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return { code: error.code, field: error.details.field, message: error.message };
    }
  };

  it.each([
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://[::1]/hook',
    'http://0.0.0.0/hook',
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://127.1/hook',
    'http://0177.0.0.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/hook',
    'https://10.0.0.5/hook',
    'https://100.64.1.1/hook',
    'https://[fd00::1]/hook',
    'http://224.0.0.1/hook',
  ])('refuses %s when saved', (url) => {
    expect(refused(url)).toMatchObject({ code: 'INVALID_INPUT', field: 'url' });
    expect(refused(url)?.message).toContain('KEYWARD_ALLOW_PRIVATE_DESTINATIONS');
    expect(refused(url, ALL)).toBeNull();
  });

  it('leaves names to be checked when connecting, and keeps the old rules', () => {
    expect(refused('https://hooks.example.com/x')).toBeNull();
    expect(refused('https://8.8.8.8/x')).toBeNull();
    expect(refused('ftp://example.com/x')).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refused('/relative')).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refused('https://user:pw@example.com/x')?.message).toContain('credentials');
    expect(checkDestinationUrl('https://EXAMPLE.com', PUBLIC_ONLY, 'url')).toBe('https://example.com/');
  });
});
