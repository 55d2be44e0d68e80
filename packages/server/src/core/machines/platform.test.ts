import { describe, expect, it } from 'vitest';
import { applyRelativeTime, parseRelativeTime } from '../catalog/relative-time.js';
import { platformFromText } from './platform.js';

describe('platformFromText', () => {
  it.each([
    ['Windows 11 Pro', 'windows'],
    ['win32', 'windows'],
    ['darwin', 'macos'],
    ['macOS 14.2', 'macos'],
    ['Mac OS X', 'macos'],
    ['Ubuntu 24.04', 'linux'],
    ['Linux x86_64', 'linux'],
    ['FreeBSD 14', 'bsd'],
    ['OpenBSD', 'bsd'],
    ['Solaris', undefined],
    ['', undefined],
    [null, undefined],
  ])('%s → %s', (text, platform) => {
    expect(platformFromText(text)).toBe(platform);
  });
});

describe('relative times', () => {
  const from = new Date('2028-01-31T10:00:00Z');
  it.each([
    ['+ 22 days', '2028-02-22T10:00:00.000Z'],
    ['+1 month', '2028-02-29T10:00:00.000Z'],
    ['- 2 hours', '2028-01-31T08:00:00.000Z'],
    ['+ 30 minutes', '2028-01-31T10:30:00.000Z'],
    ['+ 1 year', '2029-01-31T10:00:00.000Z'],
    ['+13 months', '2029-02-28T10:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(applyRelativeTime(from, text).toISOString()).toBe(expected);
  });

  it.each(['22 days', '+ days', '+ 1 fortnight', '', '+ -1 day'])('refuses "%s"', (text) => {
    expect(() => parseRelativeTime(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
