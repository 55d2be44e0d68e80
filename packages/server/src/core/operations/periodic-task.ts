/**
 * Runs a background job every interval, never two runs at once. The timer does not keep the process alive,
 * and stop() waits for a run in progress, so closing the store afterwards is safe.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly job: () => Promise<unknown>,
    private readonly options: { intervalMs: number; onError: (error: unknown) => void },
  ) {}

  /** Runs the job now and then every interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  /** One run; a run already in progress is awaited instead of started twice. */
  runOnce(): Promise<void> {
    this.running ??= this.job()
      .then(
        () => undefined,
        (error: unknown) => this.options.onError(error),
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
