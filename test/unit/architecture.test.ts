import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

/**
 * The rules of ARCHITECTURE.md that a reader cannot see break, checked on every run so
 * they keep themselves:
 * - layers only look down: no import cycle spans two folders (a cycle inside one folder
 *   is allowed only where it is listed below, with the reason at the top of its files);
 * - a file's name says its room: no two files in different folders share a name;
 * - no mutable module state: no `let` or `var` at a module's top level (a server's state
 *   hangs off the server; two servers in one process share nothing).
 * Imports are read with a regular expression over `import`/`export ... from` lines
 * (relative paths only), type-only imports included: they tie the rooms together too.
 */

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Cycles inside one folder kept on purpose (sorted file lists, relative to src/). */
const ALLOWED_CYCLES: readonly string[][] = [
  // The Client hub: handlers take a Client, a Client holds the table, its MULTI queue,
  // its watched keys and its tracking state (see the note at the top of
  // commands/context.ts); the command timer keeps the running command's client and spec,
  // and the context holds the timer. Type-only.
  ['commands/command-timing.ts', 'commands/context.ts', 'commands/declare.ts', 'commands/multi-state.ts', 'commands/table.ts', 'commands/tracking.ts', 'commands/watch.ts'],
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_LINE = /^\s*(?:import|export)\b[^'";]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT_LINE)) {
      const spec = (m[1] ?? m[2])!;
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (known.has(target)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), as sorted src-relative paths. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(path.relative(SRC, w));
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

test('no import cycle spans two folders, and the only cycles inside a folder are the listed ones', () => {
  const all = cycles(importGraph());
  const across = all.filter((c) => new Set(c.map((f) => path.dirname(f))).size > 1);
  expect(across).toEqual([]);
  expect(all.map((c) => c.join(' ')).sort()).toEqual(ALLOWED_CYCLES.map((c) => c.join(' ')).sort());
});

test('the checker sees a cycle: a file importing itself through another folder', () => {
  const a = path.join(SRC, 'x/a.ts');
  const b = path.join(SRC, 'y/b.ts');
  expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['x/a.ts', 'y/b.ts']]);
});

test('no two files in different folders share a name (src/index.ts, the package entry, aside)', () => {
  const byName = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const rel = path.relative(SRC, file);
    if (rel === 'index.ts') continue;
    const name = path.basename(file);
    byName.set(name, [...(byName.get(name) ?? []), rel]);
  }
  expect([...byName.values()].filter((paths) => paths.length > 1)).toEqual([]);
});

test('no module-level let or var in src (mutable module state would be shared by every server in the process)', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^(export\s+)?(let|var)\s/.test(line)) offenders.push(`${path.relative(SRC, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offenders).toEqual([]);
});
