import type { KeywardClient } from './client.js';
import { KeywardError, NetworkError, VerificationError } from './errors.js';
import type { Machine, MachineInfo } from './types.js';

export interface SeatLoss {
  /** `MACHINE_NOT_FOUND` (deactivated elsewhere), `LEASE_EXPIRED`, a validation code, `SIGNATURE_INVALID`, … */
  code: string;
  message: string;
  error: KeywardError | null;
}

export interface SeatOptions {
  /** Called once when the seat is gone: the app should stop the licensed work. */
  onLost?: (loss: SeatLoss) => void;
  /** Called after each confirmed heartbeat. */
  onHeartbeat?: (machine: Machine) => void;
  /** Seconds between heartbeats; default a third of the lease the server grants. */
  heartbeatSeconds?: number;
  /** Ask for this lease length (the policy bounds it). */
  leaseSeconds?: number;
  /** Free the seat when the process ends normally or on these signals; default true (Node only). */
  releaseOnExit?: boolean;
  /** Default SIGINT, SIGTERM, SIGHUP (SIGHUP not on Windows). */
  signals?: string[];
  productId?: number | undefined;
  machine?: MachineInfo;
}

type Proc = {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  pid: number;
  platform: string;
};

const nodeProcess = (): Proc | null => {
  const proc = (globalThis as { process?: Proc & { versions?: { node?: string } } }).process;
  return proc?.versions?.node ? proc : null;
};

/**
 * A floating seat held by this process: checked out with a lease, kept by heartbeats on a timer (each one
 * confirmed by a signed, nonce-checked validation), released on `release()`, on a normal exit and on SIGINT,
 * SIGTERM and SIGHUP. If the process dies without releasing (SIGKILL, power loss) the server frees the seat
 * when the lease runs out. `onLost` tells the app when the seat is gone.
 */
export class FloatingSeat {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private isReleased = false;
  private isLost = false;
  private localLeaseEndsAt: number;
  private readonly cleanups: (() => void)[] = [];
  private releasing: Promise<void> | null = null;

  constructor(
    private readonly client: KeywardClient,
    private readonly key: string,
    private readonly fingerprint: string,
    private current: Machine,
    private readonly options: SeatOptions,
  ) {
    this.localLeaseEndsAt = Date.now() + this.leaseMs(current);
  }

  get machine(): Machine {
    return this.current;
  }

  get isHeld(): boolean {
    return !this.isReleased && !this.isLost;
  }

  /** Frees the seat on the server (once; later calls wait for the first). */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      this.stop();
      this.isReleased = true;
      if (this.isLost) return;
      await this.client.deactivate(this.key, this.current.id);
    })();
    return this.releasing;
  }

  /** @internal */
  start(): void {
    this.schedule();
    if (this.options.releaseOnExit === false) return;
    const proc = nodeProcess();
    if (!proc) return;
    const signals =
      this.options.signals ??
      (proc.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP']);
    for (const signal of signals) {
      const onSignal = () => {
        this.removeHooks();
        const finish = () => {
          // Die of the signal as the process would have without us, unless the app handles it too.
          if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
        };
        this.release().then(finish, finish);
      };
      proc.on(signal, onSignal);
      this.cleanups.push(() => proc.off(signal, onSignal));
    }
    // The event loop ran dry (the heartbeat timer does not keep it alive): release before exiting.
    const onBeforeExit = () => {
      this.removeHooks();
      void this.release().catch(() => undefined);
    };
    proc.on('beforeExit', onBeforeExit);
    this.cleanups.push(() => proc.off('beforeExit', onBeforeExit));
  }

  private removeHooks(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.removeHooks();
  }

  private leaseMs(machine: Machine): number {
    if (!machine.leaseExpiresAt) return Number.POSITIVE_INFINITY;
    return Math.max(1000, Date.parse(machine.leaseExpiresAt) - Date.parse(machine.lastSeenAt));
  }

  private schedule(): void {
    const lease = this.leaseMs(this.current);
    const every = this.options.heartbeatSeconds
      ? this.options.heartbeatSeconds * 1000
      : Number.isFinite(lease)
        ? Math.max(1000, lease / 3)
        : 300_000;
    this.timer = setTimeout(() => void this.beat(), every);
    // The seat alone must not keep the process running.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private lose(code: string, message: string, error: KeywardError | null): void {
    if (this.isLost || this.isReleased) return;
    this.isLost = true;
    this.stop();
    this.options.onLost?.({ code, message, error });
  }

  private async beat(): Promise<void> {
    if (!this.isHeld) return;
    try {
      const machine = await this.client.heartbeat(this.key, this.current.id, this.options.leaseSeconds);
      const confirmation = await this.client.validate(this.key, {
        fingerprint: this.fingerprint,
        ...(this.options.productId === undefined ? {} : { productId: this.options.productId }),
      });
      if (!this.isHeld) return;
      if (!confirmation.valid || confirmation.machine?.id !== this.current.id) {
        this.lose(confirmation.valid ? 'MACHINE_NOT_FOUND' : confirmation.code, confirmation.detail, null);
        return;
      }
      this.current = machine;
      this.localLeaseEndsAt = Date.now() + this.leaseMs(machine);
      this.options.onHeartbeat?.(machine);
    } catch (error) {
      if (!this.isHeld) return;
      const failure =
        error instanceof KeywardError
          ? error
          : new KeywardError('NETWORK_ERROR', String(error), { cause: error });
      const isTransient = failure instanceof NetworkError || (failure.status ?? 0) >= 500;
      if (failure instanceof VerificationError || !isTransient) {
        this.lose(failure.code, failure.message, failure);
        return;
      }
      if (Date.now() >= this.localLeaseEndsAt) {
        this.lose('LEASE_EXPIRED', 'no heartbeat reached the server before the lease ran out', failure);
        return;
      }
    }
    if (this.isHeld) this.schedule();
  }
}

/** Takes (or re-takes) the machine's floating seat, confirms it with a signed answer, and starts the timer. */
export async function checkOutSeat(
  client: KeywardClient,
  key: string,
  fingerprint: string,
  options: SeatOptions = {},
): Promise<FloatingSeat> {
  const machine = await client.activate(key, fingerprint, options.machine ?? {});
  const confirmation = await client.validate(key, {
    fingerprint,
    ...(options.productId === undefined ? {} : { productId: options.productId }),
  });
  if (!confirmation.valid || confirmation.machine?.id !== machine.id) {
    throw new KeywardError(confirmation.code, `no seat: ${confirmation.detail}`);
  }
  const seat = new FloatingSeat(client, key, fingerprint, machine, options);
  seat.start();
  return seat;
}
