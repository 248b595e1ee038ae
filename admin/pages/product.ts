import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const productScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Product'), h('p', { class: 'muted' }, 'Coming soon.'));
};
