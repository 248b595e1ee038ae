// Writes packages/sdk/src/api.d.ts: the SDK's types, generated from the OpenAPI document of an app built in-process.
import { writeFileSync } from 'node:fs';
import { renderSdkTypes } from './sdk-types.lib.ts';

writeFileSync(new URL('../packages/sdk/src/api.d.ts', import.meta.url), await renderSdkTypes());
process.stdout.write('packages/sdk/src/api.d.ts written\n');
