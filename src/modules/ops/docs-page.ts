import { createHash } from 'node:crypto';

export const DOCS_BUNDLE_PATH = '/docs/redoc.standalone.js';

/**
 * The API reference at /docs: Redoc renders /v1/openapi.json (sidebar, search, a permalink per operation,
 * the Markdown guides of the document, schemas, examples and code samples). Everything it loads is served
 * by this process.
 */
export function docsPage(o: { specUrl: string; bundleUrl: string }): { html: string; csp: string } {
  const options = {
    expandResponses: '200,201',
    jsonSampleExpandLevel: 3,
    hideDownloadButton: false,
    pathInMiddlePanel: true,
    sortTagsAlphabetically: false,
    theme: { typography: { fontSize: '15px' }, sidebar: { width: '280px' } },
  };
  const init = `Redoc.init(${JSON.stringify(o.specUrl)}, ${JSON.stringify(options)}, document.getElementById('redoc'));`;
  // Only this origin: the renderer's own links to remote images (its logo) are never fetched, offline or not.
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${createHash('sha256').update(init).digest('base64')}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "font-src 'self' data:",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Crowdstart API reference</title>
<style>body{margin:0}</style></head>
<body><div id="redoc"></div>
<script src="${o.bundleUrl}"></script>
<script>${init}</script>
</body></html>`;
  return { html, csp };
}
