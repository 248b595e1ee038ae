import type { StaffRole, StaffUser } from '../../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, badge, confirmAction, errorSlot, field, fill, h, when } from '../ui.ts';

const ROLES: StaffRole[] = ['owner', 'staff', 'read_only'];
const ROLE_NAMES: Record<StaffRole, string> = { owner: 'Owner', staff: 'Staff', read_only: 'Read-only' };

/** The store's staff (owners only): invite by email, change roles, remove. */
export const staffScreen: Screen = async (root, ctx) => {
  if (!ctx.isOwner) {
    fill(
      root,
      h('h1', null, 'Staff'),
      h('p', { class: 'error', role: 'alert' }, 'Only an owner manages staff.'),
    );
    return;
  }
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const role = h(
    'select',
    { name: 'role' },
    ROLES.map((r) => h('option', { value: r, selected: r === 'staff' }, ROLE_NAMES[r])),
  );
  const send = h('button', { type: 'submit' }, 'Send invitation');
  const inviteError = errorSlot();
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Invite staff' },
    h('h2', null, 'Invite someone'),
    h('div', { class: 'row' }, field('Email', email), field('Role', role), send),
    inviteError,
    notice,
  );
  const list = h('div');
  const listError = errorSlot();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(send, inviteError, async () => {
      const u = await ctx.api.staff.invite({ email: email.value.trim(), role: role.value as StaffRole });
      notice.textContent = `Invitation sent to ${u.email}.`;
      notice.hidden = false;
      email.value = '';
      await draw();
    });
  });
  fill(root, h('h1', null, 'Staff'), form, listError, list);

  async function draw() {
    const { data } = await ctx.api.staff.list();
    fill(
      list,
      h(
        'table',
        { class: 'list', id: 'staff' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Name', 'Email', 'Role', 'Status', 'Joined', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          null,
          data.map((u) => row(ctx, u, draw, listError)),
        ),
      ),
    );
  }
  await draw();
};

function row(ctx: Ctx, u: StaffUser, redraw: () => Promise<void>, error: ReturnType<typeof errorSlot>) {
  const me = u.id === ctx.session.user.id;
  const select = h(
    'select',
    { 'aria-label': `Role of ${u.email}`, disabled: u.status === 'removed' },
    ROLES.map((r) => h('option', { value: r, selected: r === u.role }, ROLE_NAMES[r])),
  );
  select.addEventListener('change', () => {
    void act(null, error, async () => {
      await ctx.api.staff.setRole(u.id, select.value as StaffRole, u.version);
      await redraw();
    }).then((ok) => {
      if (!ok) select.value = u.role;
    });
  });
  const remove = h(
    'button',
    { type: 'button', class: 'secondary', disabled: me || u.status === 'removed' },
    'Remove',
  );
  remove.addEventListener('click', () => {
    void (async () => {
      if (!(await confirmAction(`Remove ${u.email}? They are signed out within minutes.`, 'Remove'))) return;
      await act(remove, error, async () => {
        await ctx.api.staff.remove(u.id);
        await redraw();
      });
    })();
  });
  return h(
    'tr',
    null,
    h('td', null, u.name ?? '—', me ? ' (you)' : ''),
    h('td', null, u.email),
    h('td', null, select),
    h('td', null, badge(u.status)),
    h('td', null, when(u.accepted_at)),
    h('td', null, remove),
  );
}
