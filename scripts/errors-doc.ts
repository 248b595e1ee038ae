// Writes docs/errors.md from the error catalogue (src/shared/error-codes.ts).
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/shared/errors-doc.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
process.stdout.write('docs/errors.md written\n');
