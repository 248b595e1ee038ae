import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_FLAGS } from './chromium-flags.ts';

export { CHROMIUM, CHROMIUM_FLAGS } from './chromium-flags.ts';

/**
 * Browser suites are skipped only on a machine without chromium outside CI
 * (`describe.skipIf(!chromiumPresent && !inCi)`); with CI=true a missing chromium fails them.
 */
export const chromiumPresent = existsSync(CHROMIUM);
export const inCi = process.env.CI === 'true';
export const CHROMIUM_MISSING = `${CHROMIUM} is missing: apt-get install -y chromium`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
}
