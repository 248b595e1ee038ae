import type { Screen } from '../context.ts';
import { fill, h } from '../ui.ts';

export const inventoryScreen: Screen = (root) => {
  fill(root, h('h1', null, 'Inventory'), h('p', { class: 'muted' }, 'Coming soon.'));
};
