// After `tsc -p tsconfig.build.json` (which compiles src/, storefront/, admin/ and packages/sdk/src/ under dist/):
// the migrations beside the compiled database code, the dashboard's stylesheet beside its compiled script, package.json where the CLI reads its version, and
// dist/main.js, the entry point operators run (`node dist/main.js serve`).
import { cpSync, writeFileSync } from 'node:fs';

cpSync('src/db/migrations', 'dist/src/db/migrations', { recursive: true });
cpSync('package.json', 'dist/package.json');
cpSync('admin/styles.css', 'dist/admin/styles.css');
writeFileSync('dist/main.js', "import './src/main.js';\n");
