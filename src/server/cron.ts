/** Redis's default hz: how often the cron runs (the hz parameter). */
export const DEFAULT_HZ = 10;

/**
 * The timer of Redis's serverCron: a tick `hz` times a second, told whether it is the
 * tick that completes a second (work Redis does once a second). Unref'd: it never keeps
 * the process alive. What a tick does is the server's (server.ts).
 */
export class Cron {
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;

  constructor(
    /** The frequency now (INFO's hz, CONFIG SET hz). */
    private hzNow: number,
    private readonly tick: (secondElapsed: boolean) => void,
  ) {}

  get hz(): number {
    return this.hzNow;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(++this.ticks % this.hzNow === 0), 1000 / this.hzNow);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** CONFIG SET hz: a running cron runs at the new frequency from now on. */
  setHz(hz: number): void {
    this.hzNow = hz;
    if (this.timer === null) return;
    this.stop();
    this.ticks = 0;
    this.start();
  }
}
