import { DomainError } from '../domain-error.js';

/**
 * A server-wide switch for planned work on the data (restores, moves between databases): while it is on,
 * every API request is refused as UNAVAILABLE, which each surface renders in its own format (native 503,
 * LimeLM 142). Health checks keep answering so orchestrators do not restart the server meanwhile.
 */
export class MaintenanceMode {
  constructor(private on = false) {}

  isOn(): boolean {
    return this.on;
  }

  set(on: boolean): void {
    this.on = on;
  }

  assertOff(): void {
    if (this.on) throw new DomainError('UNAVAILABLE', 'the server is in maintenance mode; try again later');
  }
}
