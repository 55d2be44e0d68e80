import { DomainError } from '../domain-error.js';
import { PORTAL_ACTIONS, type PortalAction, type PortalSettings } from './portal-ports.js';

/** What the portal shows before the vendor saves anything: switched off, actions on, neutral colours. */
export const DEFAULT_PORTAL_SETTINGS: PortalSettings = {
  isEnabled: false,
  displayName: 'Customer portal',
  primaryColor: '#1f4f99',
  accentColor: '#d97706',
  logoDataUrl: null,
  allowedActions: { deactivation: true, licenseFile: true, offlineActivation: true },
  updatedAt: null,
};

/**
 * The logo is stored, not linked: the portal page loads nothing from other origins (its content security policy
 * allows images from itself and `data:` only), so a vendor's logo cannot become a tracking pixel or a way to
 * swap content in customers' browsers. Raster formats only: an SVG is a document that may hold scripts.
 */
export const MAX_LOGO_DATA_URL_LENGTH = 65_536;
const LOGO = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const COLOR = /^#[0-9a-f]{6}$/;
export const MAX_DISPLAY_NAME_LENGTH = 100;

export interface PortalSettingsInput {
  isEnabled?: boolean | undefined;
  displayName?: string | undefined;
  primaryColor?: string | undefined;
  accentColor?: string | undefined;
  logoDataUrl?: string | null | undefined;
  allowedActions?: Partial<Record<PortalAction, boolean>> | undefined;
}

function color(value: string, field: string): string {
  const lower = value.trim().toLowerCase();
  if (!COLOR.test(lower))
    throw new DomainError('INVALID_INPUT', `${field} must be a colour written #rrggbb, such as #1f4f99`, {
      field,
    });
  return lower;
}

/** The settings after a change: every value checked, what the change leaves out kept as it was. */
export function changedPortalSettings(
  current: PortalSettings,
  input: PortalSettingsInput,
  now: Date,
): PortalSettings {
  const displayName = input.displayName?.trim() ?? current.displayName;
  if (displayName.length === 0 || displayName.length > MAX_DISPLAY_NAME_LENGTH)
    throw new DomainError('INVALID_INPUT', `displayName needs 1 to ${MAX_DISPLAY_NAME_LENGTH} characters`, {
      field: 'displayName',
    });
  const logo = input.logoDataUrl === undefined ? current.logoDataUrl : input.logoDataUrl;
  if (logo !== null && (logo.length > MAX_LOGO_DATA_URL_LENGTH || !LOGO.test(logo)))
    throw new DomainError(
      'INVALID_INPUT',
      `logoDataUrl must be a PNG, JPEG, GIF or WebP image as a base64 data: URL of at most ${MAX_LOGO_DATA_URL_LENGTH} characters`,
      { field: 'logoDataUrl' },
    );
  const allowedActions = { ...current.allowedActions };
  for (const action of PORTAL_ACTIONS) {
    const allowed = input.allowedActions?.[action];
    if (allowed !== undefined) allowedActions[action] = allowed;
  }
  return {
    isEnabled: input.isEnabled ?? current.isEnabled,
    displayName,
    primaryColor:
      input.primaryColor === undefined ? current.primaryColor : color(input.primaryColor, 'primaryColor'),
    accentColor:
      input.accentColor === undefined ? current.accentColor : color(input.accentColor, 'accentColor'),
    logoDataUrl: logo,
    allowedActions,
    updatedAt: now,
  };
}
