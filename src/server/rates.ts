import type { ServerStats } from '../commands/context.js';

/** Samples averaged by an instantaneous metric (Redis's STATS_METRIC_SAMPLES). */
const RATE_SAMPLES = 16;

/**
 * One of Redis's instantaneous metrics: the rate of a growing counter per second,
 * averaged over the last RATE_SAMPLES cron ticks.
 */
class RateSampler {
  private readonly samples = new Float64Array(RATE_SAMPLES);
  private index = 0;
  private lastValue = 0;
  private lastTime = 0;

  /** Records the counter's value at time now (ms); returns the current mean rate. */
  sample(value: number, now: number): number {
    if (this.lastTime > 0) {
      const elapsed = now - this.lastTime;
      this.samples[this.index] = elapsed > 0 ? ((value - this.lastValue) * 1000) / elapsed : 0;
      this.index = (this.index + 1) % RATE_SAMPLES;
    }
    this.lastValue = value;
    this.lastTime = now;
    let sum = 0;
    for (let i = 0; i < RATE_SAMPLES; i++) sum += this.samples[i]!;
    return sum / RATE_SAMPLES;
  }

  /** The counter went back to zero (CONFIG RESETSTAT). */
  reset(): void {
    this.samples.fill(0);
    this.index = 0;
    this.lastValue = 0;
  }
}

/**
 * INFO's instantaneous_ops_per_sec, instantaneous_input_kbps and
 * instantaneous_output_kbps: sampled by the cron at each tick (Redis's trackInstantaneousMetric).
 */
export class InstantaneousRates {
  private readonly ops = new RateSampler();
  private readonly input = new RateSampler();
  private readonly output = new RateSampler();

  /** Samples the counters of stats at time now (ms) and stores the rates in it. */
  sample(stats: ServerStats, now: number): void {
    stats.instantaneousOpsPerSec = this.ops.sample(stats.totalCommandsProcessed, now);
    stats.instantaneousInputKbps = this.input.sample(stats.netInputBytes, now) / 1024;
    stats.instantaneousOutputKbps = this.output.sample(stats.netOutputBytes, now) / 1024;
  }

  reset(): void {
    this.ops.reset();
    this.input.reset();
    this.output.reset();
  }
}
