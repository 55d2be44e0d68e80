import type { License, LicenseRules, Policy } from '../model.js';

/**
 * The term of a license and how trials restart it. A trial is either a trial policy, a per-machine trial key
 * (issued to one fingerprint), or a key with trial activation: each new machine starts a fresh term.
 */

const DAY_SECONDS = 86_400;

/**
 * When a license with trial activation restarts its term: at every new machine (the default) or only at the
 * very first activation (a product's `cryptolens_trialactivation` data object reading `first_activation`).
 */
export type TrialActivationMode = 'each_new_machine' | 'first_activation';
export const TRIAL_ACTIVATION_SETTING = 'cryptolens_trialactivation';

/** The length of one term: the license's own when it has one, else the span from creation to expiry. */
export function termSecondsOf(license: Pick<License, 'termSeconds' | 'expiresAt' | 'createdAt'>): number {
  if (license.termSeconds != null) return license.termSeconds;
  if (!license.expiresAt) return 0;
  return Math.max(0, Math.round((license.expiresAt.getTime() - license.createdAt.getTime()) / 1000));
}

/** The term in whole days (Cryptolens' Period). */
export function termDays(license: Pick<License, 'termSeconds' | 'expiresAt' | 'createdAt'>): number {
  if (license.termSeconds != null) return Math.round(license.termSeconds / DAY_SECONDS);
  if (!license.expiresAt) return 0;
  return Math.max(
    0,
    Math.round((license.expiresAt.getTime() - license.createdAt.getTime()) / (DAY_SECONDS * 1000)),
  );
}

export interface TrialState {
  /** Any kind of trial: a trial policy, a per-machine trial key, or trial activation. */
  isTrial: boolean;
  /** Each new machine (or only the first, by the product's mode) starts a fresh term. */
  restartsOnActivation: boolean;
  /** The machine a per-machine trial key was issued to. */
  fingerprint: string | null;
}

export function trialStateOf(license: License, policy: Pick<Policy, 'isTrial'>): TrialState {
  const fingerprint = license.trialFingerprint ?? null;
  const restartsOnActivation = license.hasTrialActivation ?? false;
  return { isTrial: policy.isTrial || fingerprint !== null, restartsOnActivation, fingerprint };
}

/**
 * The expiry a new machine's activation gives a license with trial activation, or null when it keeps its
 * expiry. A license without a seat limit does not restart (every activation would reset it).
 */
export function restartedExpiry(
  license: Pick<License, 'hasTrialActivation' | 'termSeconds' | 'firstActivatedAt'>,
  rules: Pick<LicenseRules, 'maxMachines'>,
  mode: TrialActivationMode,
  now: Date,
): Date | null {
  if (!license.hasTrialActivation || license.termSeconds == null || rules.maxMachines <= 0) return null;
  if (mode === 'first_activation' && license.firstActivatedAt) return null;
  return new Date(now.getTime() + license.termSeconds * 1000);
}

/**
 * Switching trial activation on or off. Turned on for a license without a term of its own, it gets the term
 * the apps were shown (Period, in whole days), so what restarts at activation is what they saw.
 */
export function trialActivationChange(
  license: Pick<License, 'termSeconds' | 'expiresAt' | 'createdAt'>,
  isEnabled: boolean,
): Pick<License, 'hasTrialActivation'> & { termSeconds?: number } {
  if (!isEnabled || license.termSeconds != null) return { hasTrialActivation: isEnabled };
  return { hasTrialActivation: true, termSeconds: termDays(license) * DAY_SECONDS };
}
