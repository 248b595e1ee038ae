import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's chromium, never a downloaded browser. Browser suites are skipped only on a machine without it outside
 * CI (`describe.skipIf(!chromiumPresent && !inCi)`); with CI=true a missing chromium fails them.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumPresent = existsSync(CHROMIUM);
export const inCi = process.env.CI === 'true';
export const CHROMIUM_MISSING = `${CHROMIUM} is missing: apt-get install -y chromium`;

/** The flags every run uses: headless, no sandbox (root in CI), nothing fetched from the network. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}
