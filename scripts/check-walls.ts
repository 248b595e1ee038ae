/**
 * Module walls that Biome cannot express (run by `npm run lint`, after `biome check`):
 *
 * 1. No import cycles between modules. The module graph has an edge a → b when a non-test file of
 *    `src/modules/a` imports anything of `src/modules/b`; any cycle in it fails, even when no two files
 *    form one (Biome's `noImportCycles` sees files only). Tests are left out: they do not ship.
 * 2. No module-level mutable state in `src/modules` and `src/shared`: a top-level `let`/`var`, or a
 *    top-level `new Map`/`Set`/`WeakMap`/`LRUCache` that is not typed `ReadonlyMap`/`ReadonlySet`.
 *    Caches, listeners and registries are instances built in `createApp` and passed down. A deliberate
 *    exception carries `// module-state: <why>` on the line above.
 *
 * The rule "a module imports another only through its index.ts" is Biome's `noRestrictedImports`
 * (see biome.json, overrides).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const modulesDir = path.join(root, 'src/modules');
const problems: string[] = [];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

const rel = (file: string) => path.relative(root, file);
const moduleOf = (file: string) => {
  const r = path.relative(modulesDir, file);
  return r.startsWith('..') ? undefined : r.split(path.sep)[0];
};
const isTest = (file: string) => file.endsWith('.test.ts');

// 1. The module graph and its cycles.
const graph = new Map<string, Map<string, string>>(); // module → imported module → first file:line
for (const file of filesUnder(modulesDir)) {
  const from = moduleOf(file)!;
  if (!graph.has(from)) graph.set(from, new Map());
  if (isTest(file)) continue;
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
    if (!imported.fileName.startsWith('.')) continue;
    const to = moduleOf(path.resolve(path.dirname(file), imported.fileName));
    if (!to || to === from) continue;
    const edges = graph.get(from)!;
    if (!edges.has(to)) {
      const line = source.getLineAndCharacterOfPosition(imported.pos).line + 1;
      edges.set(to, `${rel(file)}:${line}`);
    }
  }
}

const reported = new Set<string>();
function findCycles(start: string, at: string, trail: string[]): void {
  for (const next of graph.get(at)?.keys() ?? []) {
    if (next === start) {
      const cycle = [...trail, start];
      const key = [...trail].sort().join(',');
      if (reported.has(key)) continue;
      reported.add(key);
      const via = trail.map((m, i) => `  ${graph.get(m)!.get(cycle[i + 1]!)} (${m} → ${cycle[i + 1]})`);
      problems.push(
        `module cycle ${cycle.join(' → ')}; pass the effect in from src/app.ts or declare a port in the consumer:\n${via.join('\n')}`,
      );
    } else if (!trail.includes(next) && next > start) {
      findCycles(start, next, [...trail, next]);
    }
  }
}
for (const m of [...graph.keys()].sort()) findCycles(m, m, [m]);

// 2. Module-level mutable state.
const COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'LRUCache']);
for (const file of [...filesUnder(modulesDir), ...filesUnder(path.join(root, 'src/shared'))]) {
  if (isTest(file)) continue;
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const line = source.getLineAndCharacterOfPosition(statement.getStart()).line;
    if (/\/\/ module-state: \S/.test(lines[line - 1] ?? '')) continue;
    const list = statement.declarationList;
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    for (const d of list.declarations) {
      const name = d.name.getText(source);
      if (!isConst) {
        problems.push(`${rel(file)}:${line + 1} top-level mutable binding '${name}'; build it in createApp`);
        continue;
      }
      const init = d.initializer;
      if (!init || !ts.isNewExpression(init) || !COLLECTIONS.has(init.expression.getText(source))) continue;
      if (d.type && /^Readonly(Map|Set)</.test(d.type.getText(source))) continue;
      problems.push(
        `${rel(file)}:${line + 1} top-level '${name} = new ${init.expression.getText(source)}'; build it in createApp (or type a constant ReadonlyMap/ReadonlySet)`,
      );
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} module wall problem(s); see README, Module walls.`);
  process.exit(1);
}
console.log(`module walls: ${graph.size} modules, no cycles, no module-level mutable state`);
