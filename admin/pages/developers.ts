import type { ApiKey, WebhookEndpoint } from '../../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, badge, confirmAction, errorSlot, field, fill, h, listTable, when } from '../ui.ts';

/** API keys (owners), webhook endpoints with their delivery log, and the store's events. */
export const developersScreen: Screen = async (root, ctx) => {
  const keys = h('section', { class: 'panel', id: 'api-keys', 'aria-labelledby': 'keys-title' });
  const hooks = h('section', { class: 'panel', id: 'webhooks', 'aria-labelledby': 'hooks-title' });
  const events = h('section', { class: 'panel', id: 'events', 'aria-labelledby': 'events-title' });
  fill(root, h('h1', null, 'Developers'), keys, hooks, events);
  await Promise.all([
    ctx.isOwner
      ? apiKeys(keys, ctx)
      : fill(
          keys,
          h('h2', { id: 'keys-title' }, 'API keys'),
          h('p', { class: 'muted' }, 'Only an owner manages API keys.'),
        ),
    webhooks(hooks, ctx),
    eventList(events, ctx),
  ]);
};

async function apiKeys(box: HTMLElement, ctx: Ctx) {
  const kind = h(
    'select',
    { name: 'kind' },
    h('option', { value: 'secret' }, 'Secret (server)'),
    h('option', { value: 'publishable' }, 'Publishable (browser)'),
  );
  const name = h('input', { name: 'key_name', placeholder: 'e.g. ERP sync' });
  const create = h('button', { type: 'submit' }, 'Create key');
  const error = errorSlot();
  const shown = h('div', { role: 'status' });
  const list = h('div');
  const form = h(
    'form',
    { class: 'row', 'aria-label': 'Create API key' },
    field('Kind', kind),
    field('Name', name),
    create,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(create, error, async () => {
      const k = await ctx.api.apiKeys.create({
        kind: kind.value as ApiKey['kind'],
        name: name.value.trim() || undefined,
      });
      fill(
        shown,
        h(
          'div',
          { class: 'notice' },
          h('strong', null, 'Copy this key now, it is not shown again: '),
          h('code', { id: 'new-key' }, String(k.key ?? '')),
        ),
      );
      name.value = '';
      await draw();
    });
  });
  fill(box, h('h2', { id: 'keys-title' }, 'API keys'), form, error, shown, list);

  async function draw() {
    const { data } = await ctx.api.apiKeys.list();
    fill(
      list,
      listTable(
        ['Name', 'Kind', 'Mode', 'Key', 'Created', 'Status', ''],
        data.map((k) => {
          const revoke = k.revoked_at ? null : h('button', { type: 'button', class: 'secondary' }, 'Revoke');
          revoke?.addEventListener('click', () => {
            void (async () => {
              if (
                !(await confirmAction(
                  `Revoke ${k.name ?? k.hint}? Anything using it stops working at once.`,
                  'Revoke key',
                ))
              )
                return;
              await act(revoke, error, async () => {
                await ctx.api.apiKeys.revoke(k.id);
                await draw();
              });
            })();
          });
          return [
            k.name ?? '—',
            k.kind,
            k.mode,
            h('code', null, k.hint),
            when(k.created_at),
            badge(k.revoked_at ? 'revoked' : 'active'),
            revoke,
          ];
        }),
      ),
    );
  }
  await draw();
}

async function webhooks(box: HTMLElement, ctx: Ctx) {
  const url = h('input', {
    name: 'url',
    type: 'url',
    required: true,
    placeholder: 'https://example.com/hooks',
  });
  const types = h('input', { name: 'enabled_events', value: '*', 'aria-describedby': 'types-hint' });
  const add = h('button', { type: 'submit' }, 'Add endpoint');
  const error = errorSlot();
  const shown = h('div', { role: 'status' });
  const list = h('div');
  const form = ctx.canWrite
    ? h(
        'form',
        { class: 'row', 'aria-label': 'Add webhook endpoint' },
        field('Endpoint URL', url),
        field('Events', types, '* for all, or e.g. order.paid, order.refunded'),
        add,
      )
    : null;
  form?.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(add, error, async () => {
      const ep = await ctx.api.webhooks.create({
        url: url.value.trim(),
        enabled_events: types.value
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean) as never,
      });
      fill(
        shown,
        h(
          'div',
          { class: 'notice' },
          h('strong', null, 'Signing secret (shown once): '),
          h('code', null, ep.secret ?? ''),
        ),
      );
      url.value = '';
      await draw();
    });
  });
  fill(box, h('h2', { id: 'hooks-title' }, 'Webhook endpoints'), form, error, shown, list);

  async function draw() {
    const { data } = await ctx.api.webhooks.list();
    if (data.length === 0) return fill(list, h('p', { class: 'empty' }, 'No endpoints yet.'));
    fill(
      list,
      data.map((ep) => endpoint(ep as WebhookEndpoint, ctx, draw)),
    );
  }
  await draw();
}

function endpoint(ep: WebhookEndpoint, ctx: Ctx, redraw: () => Promise<void>) {
  const error = errorSlot();
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const log = h('div');
  const buttons: HTMLButtonElement[] = [];
  const button = (label: string, cls: string, fn: () => Promise<unknown>, ask?: string) => {
    const b = h('button', { type: 'button', class: cls }, label);
    b.addEventListener('click', () => {
      void (async () => {
        if (ask && !(await confirmAction(ask, label))) return;
        await act(b, error, fn);
      })();
    });
    buttons.push(b);
    return b;
  };
  if (ctx.canWrite) {
    button('Send test event', 'secondary', async () => {
      await ctx.api.webhooks.sendTest(ep.id);
      await drawLog();
    });
    button('Redeliver failed (24 h)', 'secondary', async () => {
      const r = await ctx.api.webhooks.redeliver(ep.id, new Date(Date.now() - 86_400_000).toISOString());
      notice.textContent = `${r.requeued} failed or cancelled delivery(ies) queued again.`;
      notice.hidden = false;
      await drawLog();
    });
    button(ep.disabled ? 'Enable' : 'Disable', 'secondary', async () => {
      await ctx.api.webhooks.update(ep.id, ep.version, { disabled: !ep.disabled });
      await redraw();
    });
    button(
      'Delete',
      'danger',
      async () => {
        await ctx.api.webhooks.remove(ep.id);
        await redraw();
      },
      `Delete the endpoint ${ep.url} and its delivery log?`,
    );
  }

  async function drawLog() {
    const { data } = await ctx.api.webhooks.deliveries(ep.id);
    if (data.length === 0) return fill(log, h('p', { class: 'muted' }, 'No deliveries yet.'));
    fill(
      log,
      listTable(
        ['Event', 'State', 'Attempts', 'Last answer', 'Last attempt', ''],
        data.map((d) => {
          const retry =
            ctx.canWrite && d.state !== 'pending'
              ? h('button', { type: 'button', class: 'secondary' }, 'Send again')
              : null;
          retry?.addEventListener('click', () => {
            void act(retry, error, async () => {
              await ctx.api.webhooks.retry(ep.id, d.id);
              await drawLog();
            });
          });
          return [
            d.event_type,
            badge(d.state),
            h('td', { class: 'num' }, d.attempts),
            d.last_status_code ? String(d.last_status_code) : (d.last_error ?? '—'),
            when(d.last_attempt_at),
            retry,
          ];
        }),
        { class: 'deliveries' },
      ),
    );
  }
  const refresh = h('button', { type: 'button', class: 'link' }, 'Refresh');
  refresh.addEventListener('click', () => void act(refresh, error, drawLog));
  const box = h(
    'article',
    { class: 'endpoint' },
    h(
      'h3',
      null,
      h('code', null, ep.url),
      ' ',
      badge(ep.disabled ? (ep.disabled_reason ?? 'disabled') : 'active'),
    ),
    h('p', { class: 'muted' }, `Events: ${ep.enabled_events.join(', ')}`),
    h('div', { class: 'row' }, buttons),
    error,
    notice,
    h('div', { class: 'row' }, h('h4', null, 'Recent deliveries'), refresh),
    log,
  );
  void drawLog().catch((e) => error.show(e));
  return box;
}

async function eventList(box: HTMLElement, ctx: Ctx) {
  const type = h('input', { name: 'type', type: 'search', placeholder: 'order.*' });
  const list = h('div');
  const error = errorSlot();
  const form = h(
    'form',
    { class: 'row', role: 'search', 'aria-label': 'Filter events' },
    field('Type', type),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(null, error, draw);
  });
  fill(box, h('h2', { id: 'events-title' }, 'Events'), form, error, list);
  async function draw() {
    const { data } = await ctx.api.events.list({ type: type.value.trim() || undefined, limit: 25 });
    if (data.length === 0) return fill(list, h('p', { class: 'empty' }, 'No events.'));
    fill(
      list,
      listTable(
        ['Type', 'Object', 'When', 'Event ID'],
        data.map((ev) => {
          const obj = ev.data.object as { id?: string };
          const details = h(
            'details',
            null,
            h('summary', null, obj.id ?? '—'),
            h('pre', null, JSON.stringify(ev.data.object, null, 2)),
          );
          return [h('code', null, ev.type), details, when(ev.created), h('code', null, ev.id)];
        }),
      ),
    );
  }
  await draw();
}
