const NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A round step for the value axis: 1, 2 or 5 times a power of ten. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * Columns over time (inline SVG): one bar a day with a value axis and sparse day labels. `label` names the chart
 * for screen readers, which also get each bar's value in its `<title>`.
 */
export function columnChart(
  points: Array<{ label: string; value: number }>,
  o: { label: string; format: (n: number) => string; color?: string },
): SVGSVGElement {
  const W = 480;
  const H = 220;
  const left = 70;
  const bottom = 28;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': o.label });
  root.appendChild(svg('title', {}, o.label));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    root.appendChild(svg('line', { x1: left, x2: W - 8, y1: y, y2: y, stroke: '#e4e7ec' }));
    root.appendChild(
      svg(
        'text',
        { x: left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 13, fill: '#5b6474' },
        o.format(max * f),
      ),
    );
  }
  const step = plotW / Math.max(1, points.length);
  const every = Math.ceil(points.length / 5);
  points.forEach((p, i) => {
    const h = (p.value / max) * plotH;
    const x = left + i * step + step * 0.15;
    const bar = svg('rect', {
      x,
      y: top + plotH - h,
      width: Math.max(1, step * 0.7),
      height: Math.max(p.value > 0 ? 1 : 0, h),
      rx: 2,
      fill: o.color ?? '#2f5bd3',
    });
    bar.appendChild(svg('title', {}, `${p.label}: ${o.format(p.value)}`));
    root.appendChild(bar);
    if (i % every === 0) {
      root.appendChild(
        svg(
          'text',
          { x: x + step * 0.35, y: H - 8, 'text-anchor': 'middle', 'font-size': 13, fill: '#5b6474' },
          p.label,
        ),
      );
    }
  });
  return root;
}

/** The funnel as horizontal bars, each step with its sessions and the share that went on from the step before. */
export function funnelChart(
  steps: Array<{ label: string; sessions: number; rate: number | null }>,
  o: { label: string },
): SVGSVGElement {
  const W = 520;
  const row = 44;
  const H = steps.length * row + 8;
  const left = 140;
  const right = 150;
  const max = Math.max(1, ...steps.map((s) => s.sessions));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': o.label });
  root.appendChild(svg('title', {}, o.label));
  steps.forEach((s, i) => {
    const y = 4 + i * row;
    const w = ((W - left - right) * s.sessions) / max;
    root.appendChild(
      svg(
        'text',
        { x: left - 10, y: y + 24, 'text-anchor': 'end', 'font-size': 14, fill: '#1d2330' },
        s.label,
      ),
    );
    const bar = svg('rect', {
      x: left,
      y: y + 6,
      width: Math.max(s.sessions ? 2 : 0, w),
      height: 28,
      rx: 4,
      fill: ['#2f5bd3', '#4f75dc', '#7595e6', '#067647'][i] ?? '#2f5bd3',
    });
    bar.appendChild(svg('title', {}, `${s.label}: ${s.sessions} sessions`));
    root.appendChild(bar);
    const rate = s.rate === null ? '' : ` · ${(s.rate * 100).toFixed(1)}% of previous`;
    root.appendChild(
      svg('text', { x: left + w + 8, y: y + 24, 'font-size': 13, fill: '#344054' }, `${s.sessions}${rate}`),
    );
  });
  return root;
}
