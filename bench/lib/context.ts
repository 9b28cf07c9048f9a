import type { Row } from './report.js';

/** What run.ts gives a scenario that adds its own rows, charts and notes to the report. */
export interface ScenarioContext {
  quick: boolean;
  /** A new row of the table (see run.ts). */
  row(scenario: string, metric: string, unit: string, target: string, met?: (lapse: number, redis: number) => boolean): Row;
  /** Sets row.met from its medians, if it was given a check. */
  finish(row: Row): void;
  /** Charts (paths relative to bench/) and notes printed under the table. */
  charts: string[];
  notes: string[];
}
