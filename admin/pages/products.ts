import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const productsScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Products'), h('p', { class: 'muted' }, 'Coming soon.'));
};
