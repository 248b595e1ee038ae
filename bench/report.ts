import os from 'node:os';
import type { LoadResult } from './lib/load.ts';

export interface Row extends LoadResult {
  mode: string;
  size: number;
  scenario: string;
  note?: string;
  rssMb?: number;
}

export function renderReport(opts: { rows: Row[]; command: string; extra?: string }): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = opts.rows.map(
    (r) =>
      `| ${r.mode} | ${r.size.toLocaleString('en-US')} | ${r.scenario} | ${r.rps ? r.rps.toLocaleString('en-US') : ''} | ${r.requests ? r.p50 : ''} | ${r.requests ? r.p99 : ''} | ${r.requests ? r.errors + r.non2xx : ''} | ${r.note ?? ''} |`,
  );
  return `# Benchmarks

Measured ${new Date().toISOString().slice(0, 10)} on this project's CI machine kind (${os.cpus().length} cores, ${cpu},
${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}). The load generator (autocannon, 50
connections over loopback) runs on the same 2 cores as the server, so absolute numbers are low; compare each row
with the **ceiling** measured in the same run: a bare \`node:http\` server answering a JSON body of the same size.

Command:

\`\`\`
${opts.command}
\`\`\`

| mode | products | scenario | req/s | p50 ms | p99 ms | errors + non-2xx | note |
|---|---|---|---|---|---|---|---|
${lines.join('\n')}
${opts.extra ?? ''}`;
}
