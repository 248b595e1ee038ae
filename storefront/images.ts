import { escapeHtml } from './html.ts';

/** FNV-1a: a stable 32-bit hash, so a product's picture is the same on every build and machine. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A product picture drawn from the product itself (no network): a soft gradient in a hue taken from its slug,
 * a few calm shapes placed by the hash, and its initials. `index` varies the composition per image.
 */
export function productSvg(input: { slug: string; title: string; index: number; alt: string }): string {
  const h = hash(`${input.slug}#${input.index}`);
  const hue = h % 360;
  const hue2 = (hue + 25 + ((h >>> 9) % 40)) % 360;
  const cx = 180 + ((h >>> 3) % 440);
  const cy = 160 + ((h >>> 11) % 360);
  const r = 150 + ((h >>> 17) % 120);
  const wave = 520 + ((h >>> 21) % 120);
  const initials = input.title
    .split(/\s+/)
    .filter((w) => /^[A-Za-z]/.test(w))
    .slice(-2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  const label = escapeHtml(input.alt);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 800" role="img" aria-label="${label}">` +
    `<title>${label}</title>` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hue} 55% 88%)"/><stop offset="1" stop-color="hsl(${hue2} 45% 74%)"/>` +
    `</linearGradient></defs>` +
    `<rect width="800" height="800" fill="url(#g)"/>` +
    `<circle cx="${cx}" cy="${cy}" r="${r}" fill="hsl(${hue} 60% 96%)" opacity=".55"/>` +
    `<path d="M0 ${wave} C 200 ${wave - 90}, 600 ${wave + 90}, 800 ${wave - 30} V800 H0Z" fill="hsl(${hue2} 40% 52%)" opacity=".35"/>` +
    `<rect x="300" y="300" width="200" height="200" rx="48" fill="hsl(${hue} 35% 28%)" opacity=".85"/>` +
    `<text x="400" y="432" font-family="system-ui,sans-serif" font-size="104" font-weight="600" text-anchor="middle" fill="#fff">${escapeHtml(initials)}</text>` +
    `</svg>`
  );
}

/** The path a product's n-th picture is served at (0-based). */
export const productImagePath = (slug: string, index: number) => `/images/${slug}-${index + 1}.svg`;
