import { existsSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export interface AdminFile {
  type: string;
  body: string;
}

/** The dashboard's sources next to `src/`: browser TypeScript in a checkout, its compiled JavaScript in `dist/`. */
const SOURCES = path.resolve(import.meta.dirname, '../../../admin');
const ENTRY = ['main.ts', 'main.js'].map((f) => path.join(SOURCES, f)).find((f) => existsSync(f));

/** Bundles the dashboard (one ES module and its stylesheet) into memory with esbuild. */
export async function buildAdminAssets(): Promise<Map<string, AdminFile>> {
  if (!ENTRY) throw new Error(`The dashboard's sources are missing from ${SOURCES}`);
  const out = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    minify: true,
    sourcemap: false,
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    outdir: '/admin/assets',
    entryNames: 'app',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, AdminFile>();
  for (const f of out.outputFiles) {
    const name = path.basename(f.path);
    files.set(`/admin/assets/${name}`, {
      type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      body: f.text,
    });
  }
  return files;
}

/** The one page every dashboard path answers with; the script draws the screen the path names. */
export function adminPage(hasCss: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Crowdstart dashboard</title>
${hasCss ? '<link rel="stylesheet" href="/admin/assets/app.css">' : ''}
<script type="module" src="/admin/assets/app.js"></script>
</head>
<body>
<div id="app" aria-live="polite"><p class="loading">Loading…</p></div>
<noscript>The dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}
