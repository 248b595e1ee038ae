import { AppError } from '../../shared/app-error.ts';
import type { CartProblem } from '../cart/index.ts';
import type { CouponProblem } from '../pricing/index.ts';

/**
 * A cart that re-pricing had to change cannot be checked out as is: the shopper must see the new cart
 * first (a line gone, a coupon or a rate no longer valid). Answers the error to refuse with, or null.
 */
export function checkoutProblem(problems: readonly CartProblem[]): AppError | null {
  const first = problems[0];
  if (!first) return null;
  const extra = {
    problems: problems.map((p) => ({ code: p.code, message: p.message, variant_id: p.variant_id })),
  };
  switch (first.code) {
    case 'VARIANT_NOT_FOUND':
    case 'VARIANT_UNAVAILABLE':
      return new AppError('VARIANT_UNAVAILABLE', first.message, { param: 'cart_token', extra });
    case 'COUPON_NOT_FOUND':
      return new AppError('COUPON_NOT_FOUND', first.message, { param: 'cart_token', extra });
    case 'SHIPPING_RATE_NOT_FOUND':
      return new AppError('SHIPPING_REQUIRED', first.message, { param: 'shipping_rate_id', extra });
    case 'CURRENCY_MISMATCH':
      return new AppError('CURRENCY_MISMATCH', first.message, { param: 'cart_token', extra });
  }
}

/** A coupon the cart carries but that does not apply: refuse rather than charge more than the shopper expects. */
export function couponRefusal(coupon: { code: string; applied: boolean; reason?: CouponProblem }): AppError {
  if (coupon.reason === 'exhausted') {
    return new AppError(
      'COUPON_EXHAUSTED',
      `Coupon ${coupon.code} has reached its usage limit; remove it to check out.`,
      {
        param: 'cart_token',
      },
    );
  }
  if (!coupon.reason) {
    return new AppError(
      'COUPON_NOT_FOUND',
      `Coupon ${coupon.code} no longer exists; remove it to check out.`,
      {
        param: 'cart_token',
      },
    );
  }
  return new AppError(
    'COUPON_NOT_APPLICABLE',
    `Coupon ${coupon.code} does not apply (${coupon.reason}); remove it to check out.`,
    {
      param: 'cart_token',
      extra: { reason: coupon.reason },
    },
  );
}
