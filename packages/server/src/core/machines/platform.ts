import type { Platform } from '../model.js';

/**
 * The platform a free-text operating system name denotes (`Windows 11`, `darwin`, `Ubuntu 24.04`, …), so
 * named-user rules apply to apps that report only their OS; undefined when the text names none of them.
 */
export function platformFromText(text: string | null | undefined): Exclude<Platform, 'any'> | undefined {
  if (!text) return undefined;
  const name = text.toLowerCase();
  if (/\bbsd\b|freebsd|openbsd|netbsd|dragonfly/.test(name)) return 'bsd';
  // Before Windows: "darwin" contains "win".
  if (/mac|darwin|os ?x\b/.test(name)) return 'macos';
  if (/win/.test(name)) return 'windows';
  if (/linux|ubuntu|debian|fedora|centos|red ?hat|rhel|suse|alpine|mint/.test(name)) return 'linux';
  return undefined;
}
