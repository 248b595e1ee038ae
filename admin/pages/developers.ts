import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const developersScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Developers'), h('p', { class: 'muted' }, 'Coming soon.'));
};
