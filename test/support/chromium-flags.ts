/**
 * Debian's chromium, never a downloaded browser, and the flags every run uses (browser tests and the
 * storefront benchmark's Lighthouse runs): headless, no sandbox (root in CI), nothing fetched from the network.
 * No browser library is imported here, so a script can read these without loading one.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
