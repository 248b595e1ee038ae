import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

/** Relative Markdown link targets of a file (no web addresses, no in-page anchors). */
function relativeLinks(file: string): string[] {
  const text = read(file);
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#')).map((t) => t.split('#')[0]!);
}

describe('repository hygiene', () => {
  const markdown = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter(
    (f) => f.endsWith('.md'),
  );

  it.each(markdown)('every relative link of %s resolves inside the repository', (file) => {
    for (const target of relativeLinks(file)) {
      const resolved = path.resolve(ROOT, path.dirname(file), target);
      expect(
        resolved.startsWith(`${ROOT}${path.sep}`),
        `${file} links outside the repository: ${target}`,
      ).toBe(true);
      expect(existsSync(resolved), `${file} links to a missing file: ${target}`).toBe(true);
    }
  });

  it('has a LICENSE that matches package.json', () => {
    const license = (JSON.parse(read('package.json')) as { license: string }).license;
    expect(license).toBe('MIT');
    expect(read('LICENSE').split('\n')[0]).toBe('MIT License');
  });
});
