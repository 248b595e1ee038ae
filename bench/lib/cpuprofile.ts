// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by self time: per package and per function.
// Usage: node --import tsx bench/lib/cpuprofile.ts file.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, node's own code, this project, or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  const dist = /\/dist\/(.*)$/.exec(url) ?? /\/src\/(.*)$/.exec(url);
  if (dist) {
    const parts = dist[1]!.split('/');
    return parts[0] === 'modules' ? `app: ${parts[1]}` : `app: ${parts.slice(0, -1).join('/') || parts[0]}`;
  }
  return url;
}

/**
 * Self time of the frames of `pkg`, charged to the nearest calling frame of this project's code: which of
 * our functions spend that package's time (e.g. which repository functions build ORM queries).
 */
export function callersOf(profile: Profile, pkg: string): [string, number][] {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n);
  }
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const out = new Map<string, number>();
  for (const [id, us] of self) {
    let n = byId.get(id);
    if (!n || packageOf(n.callFrame.url, n.callFrame.functionName) !== pkg) continue;
    while (n && !packageOf(n.callFrame.url, n.callFrame.functionName).startsWith('app: '))
      n = parent.get(n.id);
    const key = n
      ? `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(dist|src)\//, '')}:${n.callFrame.lineNumber + 1}`
      : '(no caller of ours)';
    out.set(key, (out.get(key) ?? 0) + us);
  }
  return [...out].sort((a, b) => b[1] - a[1]);
}

export function summarise(profile: Profile) {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const us = self.get(n.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const short = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(dist|src)\//, '');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    byPackage: sorted(byPackage),
    byFunction: sorted(byFunction),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, callers: { type: 'string', multiple: true } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const s = summarise(profile);
    const pct = (us: number) => `${((us / 1000 / s.totalMs) * 100).toFixed(1)}%`;
    console.log(`${file}: ${Math.round(s.totalMs)} ms busy, ${Math.round(s.idleMs)} ms idle\n`);
    console.log('| package | self ms | share |\n|---|---|---|');
    for (const [k, v] of s.byPackage.slice(0, top))
      console.log(`| ${k} | ${Math.round(v / 1000)} | ${pct(v)} |`);
    console.log('\n| function | self ms | share |\n|---|---|---|');
    for (const [k, v] of s.byFunction.slice(0, top))
      console.log(`| \`${k}\` | ${Math.round(v / 1000)} | ${pct(v)} |`);
    for (const pkg of values.callers ?? []) {
      console.log(`\n| ${pkg}: called from | self ms | share |\n|---|---|---|`);
      for (const [k, v] of callersOf(profile, pkg).slice(0, top))
        console.log(`| \`${k}\` | ${Math.round(v / 1000)} | ${pct(v)} |`);
    }
  }
}
