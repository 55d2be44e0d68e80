import type { LicenseRules, NamedUser, Platform } from '../../../../core/model.js';
import { invalidParameter } from '../errors.js';
import type { Params } from '../transport/params.js';

/** What generate and setDetails can set on a key, in core's terms; absent means "leave as it is". */
export interface KeySettings {
  overrides: Partial<{ [K in keyof LicenseRules]: LicenseRules[K] | null }>;
  email?: string | null;
  namedUsers?: NamedUser[];
}

/** Keyward stores limits as 32-bit integers; larger LimeLM limits mean "more than will ever be used". */
const MAX_STORED = 2_147_483_647;
const MAX_DEACT_LIMIT = 9_223_372_036_854_775_807n;
const PLATFORM_NUMBERS: Record<string, Platform> = {
  '0': 'any',
  '1': 'windows',
  '2': 'macos',
  '3': 'linux',
  '4': 'bsd',
};

/**
 * `deact_limit`: -2 inherits the version's (keys only), -1 is unlimited, 0…2^63-1 a limit (stored up to
 * 2^31-1, which no key reaches). Any other value given is 190: left unchanged, a limit the caller meant to
 * set would silently not hold.
 */
export function readDeactivationLimit(params: Params, canInherit: boolean): number | null | undefined {
  const text = params.text('deact_limit');
  if (text === undefined) return undefined;
  const value = /^-?\d{1,19}$/.test(text) ? BigInt(text) : null;
  if (value === -2n && canInherit) return null;
  if (value === -1n) return -1;
  if (value !== null && value >= 0n && value <= MAX_DEACT_LIMIT)
    return value > BigInt(MAX_STORED) ? MAX_STORED : Number(value);
  const inherit = canInherit ? "-2 (the version's), " : '';
  throw invalidParameter(
    `deact_limit must be ${inherit}-1 (unlimited) or a whole number from 0 to ${MAX_DEACT_LIMIT}`,
  );
}

/**
 * `uname_limit_name[]` with `uname_limit_platform[]` (seed): absent keeps the names, given replaces them
 * all, one empty name removes them all; platforms 0 any, 1 Windows, 2 macOS, 3 Linux, 4 BSD (absent: any).
 */
function namedUsers(params: Params): NamedUser[] | undefined {
  const names = params.list('uname_limit_name');
  if (names === undefined) return undefined;
  const platforms = params.list('uname_limit_platform');
  if (platforms !== undefined && platforms.length !== names.length) {
    throw invalidParameter('give one uname_limit_platform[] for each uname_limit_name[]');
  }
  const users: NamedUser[] = [];
  names.forEach((raw, i) => {
    const username = raw.trim();
    const number = (platforms?.[i] ?? '0').trim();
    const platform = PLATFORM_NUMBERS[number];
    if (!platform) throw invalidParameter('uname_limit_platform[] values are 0 to 4');
    if (username.length > 200) throw invalidParameter('a username has at most 200 characters');
    const known = users.some((u) => u.username.toLowerCase() === username.toLowerCase());
    if (username !== '' && !known) users.push({ username, platform });
  });
  return users;
}

export function readKeySettings(params: Params): KeySettings {
  const settings: KeySettings = { overrides: {} };
  const numActs = params.strictInt('num_acts', 0, Number.MAX_SAFE_INTEGER);
  // At least one activation, as the vendor's C# sample clamps it; a key always allows one machine.
  if (numActs !== undefined) settings.overrides.maxMachines = Math.min(Math.max(numActs, 1), MAX_STORED);
  const deactivations = readDeactivationLimit(params, true);
  if (deactivations !== undefined) settings.overrides.maxDeactivations = deactivations;
  const forTfs = params.bool('for_tfs');
  if (forTfs !== undefined) settings.overrides.isFloating = forTfs;
  const allowVm = params.text('allow_vm')?.toLowerCase();
  if (allowVm === 'yes' || allowVm === 'no' || allowVm === 'inherit') {
    settings.overrides.allowVm = allowVm === 'inherit' ? null : allowVm === 'yes';
  }
  if (params.has('email')) {
    const email = params.raw('email')?.trim() ?? '';
    if (email.length > 320) throw invalidParameter('email has at most 320 characters');
    settings.email = email === '' ? null : email;
  }
  const users = namedUsers(params);
  if (users !== undefined) settings.namedUsers = users;
  return settings;
}

/** Tags from `tag[]` (or one `tag`): trimmed, blanks dropped, at most 100 of at most 100 characters. */
export function readTags(params: Params, name = 'tag'): string[] | undefined {
  const tags = params
    .list(name)
    ?.map((t) => t.trim())
    .filter((t) => t !== '');
  if (tags === undefined) return undefined;
  if (tags.length > 100 || tags.some((t) => t.length > 100))
    throw invalidParameter('at most 100 tags of at most 100 characters');
  return tags;
}
