export {
  type Address,
  type Coupon,
  type CouponProblem,
  couponProblem,
  type PricedCart,
  type PricedLine,
  type PricingInput,
  type PricingLine,
  priceCart,
  type ShippingRate,
  type TaxRate,
} from './pricing.rules.ts';
