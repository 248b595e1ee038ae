export const DOCS_BUNDLE_PATH = '/docs/redoc.standalone.js';

/**
 * The API reference at /docs: Redoc renders /v1/openapi.json (sidebar, search, a permalink per operation,
 * the Markdown guides of the document, schemas, examples and code samples). Everything it loads is served
 * by this process.
 */
export function docsPage(o: { specUrl: string; bundleUrl: string }): string {
  const options = {
    expandResponses: '200,201',
    jsonSampleExpandLevel: 3,
    hideDownloadButton: false,
    pathInMiddlePanel: true,
    sortTagsAlphabetically: false,
    theme: { typography: { fontSize: '15px' }, sidebar: { width: '280px' } },
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Crowdstart API reference</title>
<style>body{margin:0}</style></head>
<body><div id="redoc"></div>
<script src="${o.bundleUrl}"></script>
<script>Redoc.init(${JSON.stringify(o.specUrl)}, ${JSON.stringify(options)}, document.getElementById('redoc'));</script>
</body></html>`;
}
