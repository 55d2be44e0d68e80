import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import type { DashboardRole, DashboardSession, DashboardUser } from '../dashboard-ports.js';
import { isDashboardRole, scopesOfRole } from '../dashboard-roles.js';
import { DomainError } from '../domain-error.js';
import { generatePassword, hashPassword, verifyPassword } from '../password-hash.js';
import type { Store } from '../ports.js';
import { newEvent } from '../record-event.js';
import type { Scope } from '../scopes.js';
import { hashToken } from '../secrets.js';
import { deviceNameOf, normalizeAccount, SignInThrottle } from '../sign-in-throttle.js';

/** A session lasts this long from sign-in; then the user signs in again. */
export const SESSION_SECONDS = 12 * 3600;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024;
export const FIRST_ADMIN_EMAIL = 'admin@localhost';

export interface AuthenticatedSession {
  user: DashboardUser;
  session: DashboardSession;
  scopes: Scope[];
}

function normalizeEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length < 3 || trimmed.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(trimmed)) {
    throw new DomainError('INVALID_INPUT', 'give an email address such as name@example.com', {
      field: 'email',
    });
  }
  return trimmed;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DomainError(
      'INVALID_INPUT',
      `the password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
      { field: 'password' },
    );
  }
}

/** The CSRF token of a session: derived from its secret, which only the HttpOnly cookie holds. */
export function csrfTokenOf(sessionSecret: string): string {
  return createHash('sha256').update(`keyward-csrf:${sessionSecret}`).digest('base64url');
}

export function csrfTokenMatches(sessionSecret: string, presented: string): boolean {
  const expected = Buffer.from(csrfTokenOf(sessionSecret));
  const actual = Buffer.from(presented);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Dashboard users, their sign-in and their sessions. A session secret is random, lives only in the browser's
 * HttpOnly cookie and is stored hashed; a session's rights are the user's role in API scopes.
 */
export class DashboardAuthService {
  readonly throttle: SignInThrottle;
  /** Compared against when the email is unknown, so both failures take the same time. */
  private decoyHash: Promise<string> | null = null;

  constructor(private readonly deps: { store: Store; clock: Clock }) {
    this.throttle = new SignInThrottle(deps);
  }

  async createUser(
    actor: Actor,
    input: { email: string; password: string; role: string },
  ): Promise<DashboardUser> {
    const email = normalizeEmail(input.email);
    if (!isDashboardRole(input.role)) {
      throw new DomainError('INVALID_INPUT', 'role must be admin, support or read-only', { field: 'role' });
    }
    const role: DashboardRole = input.role;
    checkPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if (await tx.dashboardUsers.findByEmail(email)) {
        throw new DomainError('CONFLICT', `a dashboard user ${email} already exists`, { field: 'email' });
      }
      const user = await tx.dashboardUsers.insert({ email, passwordHash, role, createdAt: now });
      await tx.events.append(newEvent('user.created', actor, now, {}, { userId: user.id, email, role }));
      return user;
    });
  }

  async setPassword(actor: Actor, email: string, password: string): Promise<DashboardUser> {
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const found = await tx.dashboardUsers.findByEmail(normalizeEmail(email));
      if (!found) throw new DomainError('NOT_FOUND', `no dashboard user ${email}`);
      const user = await tx.dashboardUsers.update(found.id, { passwordHash });
      // Whoever held the old password is signed out everywhere.
      await tx.dashboardSessions.deleteForUser(found.id);
      await tx.events.append(newEvent('user.password_changed', actor, now, {}, { userId: found.id }));
      return user ?? found;
    });
  }

  listUsers(): Promise<DashboardUser[]> {
    return this.deps.store.dashboardUsers.list();
  }

  async deleteUser(actor: Actor, email: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const found = await tx.dashboardUsers.findByEmail(normalizeEmail(email));
      if (!found) throw new DomainError('NOT_FOUND', `no dashboard user ${email}`);
      await tx.dashboardSessions.deleteForUser(found.id);
      await tx.dashboardUsers.delete(found.id);
      await tx.events.append(
        newEvent('user.deleted', actor, now, {}, { userId: found.id, email: found.email }),
      );
    });
  }

  /**
   * On a database without dashboard users, creates an admin with a generated password, to be shown once.
   * Null when users exist (or another process created the first one at the same moment).
   */
  async ensureFirstAdmin(actor: Actor): Promise<{ email: string; password: string } | null> {
    if ((await this.deps.store.dashboardUsers.count()) > 0) return null;
    const password = generatePassword();
    try {
      await this.createUser(actor, { email: FIRST_ADMIN_EMAIL, password, role: 'admin' });
    } catch (error) {
      if (await this.deps.store.dashboardUsers.findByEmail(FIRST_ADMIN_EMAIL)) return null;
      throw error;
    }
    return { email: FIRST_ADMIN_EMAIL, password };
  }

  /**
   * Checks the password, throttled (sign-in-throttle.ts), and opens a session; returns its secret, and the
   * device cookie that lets this browser sign in to the account while others are slowed down.
   */
  async signIn(input: {
    email: string;
    password: string;
    ip: string;
    /** The account's device cookie, if the browser holds one. */
    deviceSecret?: string | null;
  }): Promise<{
    secret: string;
    csrfToken: string;
    session: AuthenticatedSession;
    device: { name: string; secret: string };
  }> {
    const account = normalizeAccount(input.email);
    const attempt = await this.throttle.begin({
      email: account,
      address: input.ip,
      deviceSecret: input.deviceSecret ?? null,
    });
    const user = await this.deps.store.dashboardUsers.findByEmail(account);
    this.decoyHash ??= hashPassword(generatePassword());
    const matches = await verifyPassword(input.password, user?.passwordHash ?? (await this.decoyHash));
    // The failure was charged when the attempt was admitted: nothing is left to record.
    if (!user || !matches) throw new DomainError('UNAUTHENTICATED', 'wrong email or password');
    const now = this.deps.clock.now();
    const secret = `kws_${randomBytes(32).toString('base64url')}`;
    const session = await this.deps.store.transaction(async (tx) => {
      await this.throttle.succeed(tx, attempt);
      await tx.dashboardSessions.deleteExpired(now);
      const created = await tx.dashboardSessions.insert({
        userId: user.id,
        secretHash: hashToken(secret),
        ip: input.ip,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SESSION_SECONDS * 1000),
      });
      await tx.dashboardUsers.update(user.id, { lastSignInAt: now });
      await tx.events.append(
        newEvent(
          'user.signed_in',
          { tokenId: null, ip: input.ip, via: 'dashboard', principal: null },
          now,
          {},
          {
            userId: user.id,
            email: user.email,
          },
        ),
      );
      return created;
    });
    const { passwordHash: _omit, ...publicUser } = user;
    return {
      secret,
      csrfToken: csrfTokenOf(secret),
      session: { user: { ...publicUser, lastSignInAt: now }, session, scopes: scopesOfRole(user.role) },
      device: { name: deviceNameOf(account), secret: attempt.deviceSecret },
    };
  }

  /** The live session a cookie's secret names, or null (unknown, expired, or its user deleted). */
  async authenticate(secret: string): Promise<AuthenticatedSession | null> {
    if (!secret.startsWith('kws_') || secret.length > 200) return null;
    const session = await this.deps.store.dashboardSessions.findByHash(hashToken(secret));
    if (!session || session.expiresAt <= this.deps.clock.now()) return null;
    const user = await this.deps.store.dashboardUsers.findById(session.userId);
    if (!user) return null;
    return { user, session, scopes: scopesOfRole(user.role) };
  }

  async signOut(secret: string): Promise<void> {
    const session = await this.deps.store.dashboardSessions.findByHash(hashToken(secret));
    if (session) await this.deps.store.dashboardSessions.delete(session.id);
  }
}
