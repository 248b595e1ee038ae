import openapiTS, { astToString } from 'openapi-typescript';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/shared/db.ts';
import { silentLogger } from '../src/shared/logger.ts';

const HEADER =
  "// Generated from the API's OpenAPI document by `npm run sdk:types` (scripts/sdk-types.ts). Do not edit.\n\n";

/** The OpenAPI document of an app built in-process (no server, an empty in-memory database). */
export async function apiDocument(): Promise<unknown> {
  const database = await openDatabase({ memory: true });
  try {
    const built = createApp({
      config: loadConfig({ LOG_LEVEL: 'silent', CROWDSTART_ROOT_TOKEN: 'root_token_for_sdk_types_0000' }),
      database,
      logger: silentLogger,
    });
    const res = await built.app.request('/v1/openapi.json');
    if (res.status !== 200) throw new Error(`GET /v1/openapi.json answered ${res.status}`);
    return await res.json();
  } finally {
    await database.close();
  }
}

/** The text of packages/sdk/src/api.d.ts for the current routes. */
export async function renderSdkTypes(): Promise<string> {
  const doc = await apiDocument();
  return HEADER + astToString(await openapiTS(doc as never));
}
