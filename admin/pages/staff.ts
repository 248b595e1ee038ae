import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const staffScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Staff'), h('p', { class: 'muted' }, 'Coming soon.'));
};
