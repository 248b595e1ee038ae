/** Formats an amount in minor units (cents, yen) in its currency's own decimals. */
export function formatMoney(amount: number, currency: string, locale = 'en-US'): string {
  const f = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(amount / 10 ** digits);
}
