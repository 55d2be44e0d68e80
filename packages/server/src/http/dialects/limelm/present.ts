import type { LicenseView } from '../../../core/licenses/license-view.js';
import { platformFromText } from '../../../core/machines/platform.js';
import type { License, Machine } from '../../../core/model.js';
import { limeDateTime } from './dates.js';
import { formatFeatureValue } from './features.js';
import { type AttrValue, type Child, el, list, type XmlNode } from './render/node.js';

/** LimeLM's `type` of an activation; Keyward keeps the operating system the app reported as free text. */
const TYPES = { windows: 'windows', macos: 'mac', linux: 'linux', bsd: 'bsd' } as const;

/** A seat limit or deactivation limit, with Keyward's "no limit" (0 seats, -1 deactivations) as `unlimited`. */
const limitText = (value: number, unlimited: number) => (value === unlimited ? 'unlimited' : String(value));

/**
 * LimeLM's `revoked`: its revocation can be undone, so it is Keyward's suspension, and a revocation for good
 * reads the same. Both are the view's "blocked" (license-status.ts), so a revocation dated ahead is not yet.
 */
export const revokedAttr = (view: LicenseView) => (view.isBlocked ? 'true' : undefined);

/**
 * The attributes every listing of a key shares, in the vendor's order (spec §2, recorded JSON):
 * acts, acts_used, then the rules; `revoked` only when revoked.
 */
export function keyRules({ license, rules }: LicenseView): Record<string, AttrValue | undefined> {
  return {
    total_deacts: String(license.deactivationCount),
    deac_limit: limitText(rules.maxDeactivations, -1),
    for_tfs: String(rules.isFloating),
    allow_vm: rules.allowVm ? 'yes' : 'no',
  };
}

/** `acts` and `acts_used`: the seat limit and the machines holding a seat now. */
export function seatsAttrs(view: LicenseView): { acts: string; acts_used: string } {
  return { acts: limitText(view.rules.maxMachines, 0), acts_used: String(view.seatHolders.length) };
}

export function activationNode(machine: Machine, date: Date = machine.createdAt): XmlNode {
  const type = platformFromText(machine.platform);
  return el('act', {
    id: String(machine.id),
    ip: machine.ip ?? '',
    date: limeDateTime(date),
    type: type ? TYPES[type] : undefined,
    extra_data: machine.name ?? undefined,
  });
}

/** Empty blocks are left out, as the vendor does (spec §2, getDetails). */
export function activationsBlock(machines: Machine[]): Child[] {
  return machines.length === 0
    ? []
    : [
        el(
          'activations',
          {},
          list(
            'act',
            machines.map((m) => activationNode(m)),
          ),
        ),
      ];
}

/** Each field of the version with the key's value, or its default; fields with neither are left out. */
export function featuresBlock({ license, policy }: Pick<LicenseView, 'license' | 'policy'>): Child[] {
  const items: XmlNode[] = [];
  for (const field of policy.featureFields) {
    const value = license.features[field.name] ?? field.defaultValue;
    if (value === null || value === undefined) continue;
    items.push(el('feature', { name: field.name, value: formatFeatureValue(field.type, value) }));
  }
  return items.length === 0 ? [] : [el('features', {}, list('feature', items))];
}

export function tagsBlock(license: License): Child[] {
  return license.tags.length === 0
    ? []
    : [
        el(
          'tags',
          {},
          list(
            'tag',
            license.tags.map((name) => el('tag', { name })),
          ),
        ),
      ];
}

/** Named users (Keyward's addition to getDetails; LimeLM does not show them): `platform` 0–4 as set. */
export function namedUsersBlock(license: License): Child[] {
  const numbers = { any: '0', windows: '1', macos: '2', linux: '3', bsd: '4' } as const;
  return license.namedUsers.length === 0
    ? []
    : [
        el(
          'uname_limits',
          {},
          list(
            'uname',
            license.namedUsers.map((u) => el('uname', { name: u.username, platform: numbers[u.platform] })),
          ),
        ),
      ];
}
