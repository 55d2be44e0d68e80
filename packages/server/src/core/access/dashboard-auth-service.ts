import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { newEvent } from '../events/record-event.js';
import type { Repositories, Store } from '../ports.js';
import { hashToken } from '../signing/secrets.js';
import type { Actor } from './actor.js';
import type { DashboardRole, DashboardSession, DashboardUser } from './dashboard-ports.js';
import { isDashboardRole, scopesOfRole } from './dashboard-roles.js';
import { signInEmail } from './email-address.js';
import { generatePassword, hashPassword, verifyPassword } from './password-hash.js';
import { assertAdministrator } from './principal.js';
import type { Scope } from './scopes.js';
import { deviceNameOf, normalizeAccount, SignInThrottle } from './sign-in-throttle.js';

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

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new DomainError(
      'INVALID_INPUT',
      `the password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
      { field: 'password' },
    );
  }
}

function roleOf(value: string): DashboardRole {
  if (!isDashboardRole(value)) {
    throw new DomainError('INVALID_INPUT', 'role must be admin, support or read-only', { field: 'role' });
  }
  return value;
}

/** A dashboard user named by id (the API, the dashboard) or by email (the command line). */
export type UserRef = { id: number } | { email: string };

async function findUser(tx: Repositories, who: UserRef): Promise<DashboardUser> {
  const found =
    'id' in who
      ? await tx.dashboardUsers.findById(who.id)
      : await tx.dashboardUsers.findByEmail(signInEmail(who.email));
  if (!found) {
    throw new DomainError('NOT_FOUND', `no dashboard user ${'id' in who ? who.id : who.email}`);
  }
  if ('passwordHash' in found) {
    const { passwordHash: _omit, ...user } = found;
    return user;
  }
  return found;
}

/** Somebody must remain able to manage users from the dashboard. */
function keepAnAdmin(adminIds: number[], user: DashboardUser, change: 'delete' | 'demote'): void {
  if (user.role !== 'admin' || adminIds.some((id) => id !== user.id)) return;
  throw new DomainError(
    'CONFLICT',
    `${user.email} is the last admin and cannot be ${change === 'delete' ? 'deleted' : 'given another role'}: make another user an admin first`,
    { field: change === 'delete' ? 'id' : 'role' },
  );
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
    assertAdministrator(actor.principal, 'write');
    const email = signInEmail(input.email);
    const role = roleOf(input.role);
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

  async setPassword(actor: Actor, who: UserRef, password: string): Promise<DashboardUser> {
    return this.updateUser(actor, who, { password });
  }

  /**
   * Changes a user's role and/or password. A new password signs the user out everywhere; a new role takes
   * effect with the user's next request. The last admin keeps the role.
   */
  async updateUser(
    actor: Actor,
    who: UserRef,
    changes: { role?: string | undefined; password?: string | undefined },
  ): Promise<DashboardUser> {
    assertAdministrator(actor.principal, 'write');
    const role = changes.role === undefined ? undefined : roleOf(changes.role);
    if (changes.password !== undefined) checkPassword(changes.password);
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const admins = await tx.dashboardUsers.lockAdminIds();
      const found = await findUser(tx, who);
      if (role !== undefined && role !== 'admin') keepAnAdmin(admins, found, 'demote');
      const user =
        (await tx.dashboardUsers.update(found.id, {
          ...(role !== undefined ? { role } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
        })) ?? found;
      if (passwordHash !== undefined) {
        // Whoever held the old password is signed out everywhere.
        await tx.dashboardSessions.deleteForUser(found.id);
        await tx.events.append(newEvent('user.password_changed', actor, now, {}, { userId: found.id }));
      }
      if (role !== undefined && role !== found.role) {
        await tx.events.append(
          newEvent('user.role_changed', actor, now, {}, { userId: found.id, from: found.role, to: role }),
        );
      }
      return user;
    });
  }

  listUsers(actor: Actor): Promise<DashboardUser[]> {
    assertAdministrator(actor.principal, 'read');
    return this.deps.store.dashboardUsers.list();
  }

  /** Deletes a user and ends their sessions; never the last admin. */
  async deleteUser(actor: Actor, who: UserRef): Promise<void> {
    assertAdministrator(actor.principal, 'write');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const admins = await tx.dashboardUsers.lockAdminIds();
      const found = await findUser(tx, who);
      keepAnAdmin(admins, found, 'delete');
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
