import type {
  FulfillmentRow,
  OrderEventRow,
  OrderLineRow,
  OrderRow,
  PaymentRow,
  RefundRow,
} from './orders.tables.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeLine(l: OrderLineRow) {
  return {
    object: 'order_line' as const,
    variant_id: l.variantId,
    product_id: l.productId,
    sku: l.sku,
    product_title: l.productTitle,
    title: l.title,
    unit_price: l.unitPrice,
    quantity: l.qty,
    subtotal: l.subtotal,
    discount: l.discount,
    tax: l.tax,
    total: l.total,
  };
}

/** The fields the shopper and the merchant both see. */
function orderBasics(o: OrderRow, lines: OrderLineRow[]) {
  return {
    id: o.id,
    object: 'order' as const,
    livemode: o.livemode,
    status: o.status,
    payment_status: o.paymentStatus,
    fulfillment_status: o.fulfillmentStatus,
    currency: o.currency,
    email: o.email,
    shipping_address: o.shippingAddress ?? null,
    shipping: o.shipping ?? null,
    subtotal: o.subtotal,
    discount_total: o.discountTotal,
    shipping_total: o.shippingTotal,
    tax_total: o.taxTotal,
    total: o.total,
    tax_inclusive: o.taxInclusive,
    coupon_code: o.couponCode,
    lines: lines.map(serializeLine),
    created_at: o.createdAt.toISOString(),
    paid_at: iso(o.paidAt),
    cancelled_at: iso(o.cancelledAt),
  };
}

export function serializeOrder(o: OrderRow, lines: OrderLineRow[]) {
  return {
    ...orderBasics(o, lines),
    billing_address: o.billingAddress ?? null,
    cart_id: o.cartId,
    gateway: o.gateway,
    capture: o.captureMode,
    cancel_reason: o.cancelReason,
    version: o.version,
    reserved_until: o.reservedUntil.toISOString(),
    updated_at: o.updatedAt.toISOString(),
    fulfilled_at: iso(o.fulfilledAt),
    completed_at: iso(o.completedAt),
  };
}

export function serializeEvent(e: OrderEventRow) {
  return {
    id: e.id,
    object: 'order_event' as const,
    type: e.type,
    from: e.fromStatus,
    to: e.toStatus,
    data: e.data,
    actor: e.actor,
    created_at: e.createdAt.toISOString(),
  };
}

export function serializePayment(p: PaymentRow) {
  return {
    id: p.id,
    object: 'payment' as const,
    livemode: p.livemode,
    gateway: p.gateway,
    reference: p.reference,
    status: p.status,
    currency: p.currency,
    amount_authorized: p.amountAuthorized,
    amount_captured: p.amountCaptured,
    amount_refunded: p.amountRefunded,
    decline_code: p.declineCode,
    message: p.message,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export function serializeRefund(r: RefundRow) {
  return {
    id: r.id,
    object: 'refund' as const,
    livemode: r.livemode,
    order_id: r.orderId,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    gateway_reference: r.gatewayReference,
    created_at: r.createdAt.toISOString(),
  };
}

export function serializeFulfillment(f: FulfillmentRow) {
  return {
    id: f.id,
    object: 'fulfillment' as const,
    carrier: f.carrier,
    tracking_number: f.trackingNumber,
    tracking_url: f.trackingUrl,
    created_at: f.createdAt.toISOString(),
  };
}

/** What the shopper sees with the order secret: no audit trail, no gateway references, no internal notes. */
export function serializePublicOrder(o: OrderRow, lines: OrderLineRow[], fulfillments: FulfillmentRow[]) {
  return { ...orderBasics(o, lines), fulfillments: fulfillments.map(serializeFulfillment) };
}
