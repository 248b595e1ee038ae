import { countOf, errorText, money, shop, showCount } from './shop.ts';

interface V {
  id: string;
  o: Record<string, string>;
  p: number;
  c: number | null;
  s: boolean;
  a: number | null;
}

const dataEl = document.getElementById('product-data');
const form = document.querySelector<HTMLFormElement>('form[data-buy]');
if (dataEl && form) {
  const data = JSON.parse(dataEl.textContent ?? '{}') as {
    id: string;
    currency: string;
    options: string[];
    variants: V[];
  };
  const $ = <T extends Element>(sel: string) => document.querySelector<T>(sel)!;
  const price = $<HTMLElement>('[data-price]');
  const was = $<HTMLElement>('[data-was]');
  const availability = $<HTMLElement>('[data-availability]');
  const add = $<HTMLButtonElement>('[data-add]');
  const status = $<HTMLElement>('[data-status]');
  const variantInput = form.elements.namedItem('variant_id') as HTMLInputElement;

  const chosen = () => {
    const pick: Record<string, string> = {};
    for (const input of form.querySelectorAll<HTMLInputElement>('input[data-option]:checked')) {
      pick[input.dataset.option!] = input.value;
    }
    return pick;
  };
  const match = (pick: Record<string, string>) =>
    data.variants.find((v) => data.options.every((o) => v.o[o] === pick[o]));

  function update() {
    const pick = chosen();
    const v = match(pick);
    // Values that no variant in stock offers with the other choices are marked, not hidden.
    for (const input of form!.querySelectorAll<HTMLInputElement>('input[data-option]')) {
      const alt = match({ ...pick, [input.dataset.option!]: input.value });
      input.classList.toggle('unavailable', !alt?.s);
    }
    variantInput.value = v?.id ?? '';
    if (!v) {
      availability.textContent = 'This combination is not available';
      add.disabled = true;
      return;
    }
    price.textContent = money(v.p, data.currency);
    was.textContent = v.c && v.c > v.p ? money(v.c, data.currency) : '';
    availability.textContent = v.s
      ? v.a !== null && v.a <= 5
        ? `In stock: only ${v.a} left`
        : 'In stock'
      : 'Sold out';
    availability.className = v.s ? '' : 'oos';
    add.disabled = !v.s;
  }

  form.addEventListener('change', update);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = variantInput.value;
    const qty = Math.max(1, Number((form.elements.namedItem('quantity') as HTMLInputElement).value) || 1);
    if (!id) return;
    add.disabled = true;
    status.className = 'status';
    status.textContent = 'Adding…';
    try {
      const cart = await shop.cart.add(id, qty);
      showCount(countOf(cart));
      shop.track('product_added', { product_id: data.id, variant_id: id, quantity: qty });
      status.className = 'status ok';
      status.innerHTML = 'Added to your cart. <a href="/cart">View cart</a>';
    } catch (err) {
      status.className = 'status bad';
      status.textContent = errorText(err);
    } finally {
      add.disabled = false;
      update();
    }
  });

  update();
  shop.track('product_viewed', { product_id: data.id });
  // Live availability: the page was rendered earlier; stock is read now.
  shop.products
    .get(data.id)
    .then(
      (p: {
        variants: {
          id: string;
          price: number;
          compare_at_price: number | null;
          availability: { in_stock: boolean; available: number | null };
        }[];
      }) => {
        for (const fresh of p.variants) {
          const v = data.variants.find((x) => x.id === fresh.id);
          if (!v) continue;
          v.s = fresh.availability.in_stock;
          v.a = fresh.availability.available;
          v.p = fresh.price;
          v.c = fresh.compare_at_price;
        }
        update();
      },
    )
    .catch(() => {});
}
