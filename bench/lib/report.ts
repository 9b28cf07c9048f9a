import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { fmt, median, ratio, spread } from './stats.js';

/** One measured quantity for both servers, over rounds. */
export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  lapse: number[];
  redis: number[];
  /** The target, in words (e.g. ">= 0.9"), applied to the ratio lapse/Redis or to lapse's value. */
  target: string;
  /** Whether the target is met by the medians, or undefined if not applicable. */
  met?: boolean;
}

export function machine(): string[] {
  const cpus = os.cpus();
  let redis = '';
  try {
    redis = execFileSync('redis-server', ['--version']).toString().trim();
  } catch {
    redis = 'redis-server: not found';
  }
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Node.js: ${process.version}`,
    `- CPU: ${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- OS: ${os.type()} ${os.release()}`,
    `- Reference: ${redis}`,
  ];
}

export function table(rows: Row[]): string {
  const lines = [
    '| scenario | metric | lapse (median, min..max) | Redis (median, min..max) | lapse/Redis | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const l = median(r.lapse);
    const d = median(r.redis);
    const digits = Math.abs(l) < 10 || Math.abs(d) < 10 ? 2 : 0;
    lines.push(
      `| ${r.scenario} | ${r.metric} (${r.unit}) | ${fmt(l, digits)} (${spread(r.lapse, digits)}) | ${fmt(d, digits)} (${spread(r.redis, digits)}) | ` +
        `${ratio(l, d)} | ${r.target} | ${r.met === undefined ? '-' : r.met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}

/** Renders a Vega-Lite line chart to an SVG file. */
export async function lineChart(
  file: string,
  title: string,
  values: { x: number; y: number; server: string }[],
  axes: { x: string; y: string; xLog?: boolean },
): Promise<void> {
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 560,
    height: 300,
    data: { values },
    mark: { type: 'line', point: values.length <= 40 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes.x, scale: axes.xLog ? { type: 'log', base: 2 } : {} },
      y: { field: 'y', type: 'quantitative', title: axes.y },
      color: { field: 'server', type: 'nominal', scale: { domain: ['lapse', 'redis'], range: ['#d62728', '#1f77b4'] } },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await view.toSVG());
  view.finalize();
}
