import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const overviewScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Overview'), h('p', { class: 'muted' }, 'Coming soon.'));
};
