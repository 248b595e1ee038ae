import { ERROR_CODES } from './error-codes.ts';

/** The Markdown of docs/errors.md, rendered from the catalogue so the two cannot drift. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([code, s]) =>
        `| \`${code}\` | ${s.status} | \`${s.type}\` | ${s.description.replaceAll('|', '\\|')} |`,
    );
  return `# Error codes

Every error response has this shape, with a \`code\` from the closed catalogue below:

\`\`\`json
{ "error": { "type": "invalid_request_error", "code": "VALIDATION_FAILED", "message": "name: Too small", "param": "name", "request_id": "req_…" } }
\`\`\`

\`param\` names the offending parameter when there is one (a body field as a dotted path, a query or path
parameter, or a header such as \`Idempotency-Key\`). \`request_id\` is also in the \`X-Request-Id\` header and
in the server's logs. Responses never carry stack traces or SQL.

This file is generated from \`src/shared/error-codes.ts\` by \`npm run docs:errors\`; a test fails when they differ.

| code | HTTP | type | meaning |
|---|---|---|---|
${rows.join('\n')}
`;
}
