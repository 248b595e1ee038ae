// Generated from the API's OpenAPI document by `npm run sdk:types` (scripts/sdk-types.ts). Do not edit.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: database reachable, migrations applied, not shutting down */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a store (root token) */
        post: operations["createStore"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores/{store_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a store (root token) */
        get: operations["getStore"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores/{store_id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a store's API keys (root token) */
        get: operations["listApiKeys"];
        put?: never;
        /** Create an API key (root token); the key is shown once */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stores/{store_id}/keys/{key_id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an API key (root token) */
        post: operations["revokeApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/store": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The store of the secret key */
        get: operations["getCurrentStore"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update the store's name or settings (tax, gateway, capture) */
        patch: operations["updateCurrentStore"];
        trace?: never;
    };
    "/v1/coupons": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List coupons, newest first */
        get: operations["listCoupons"];
        put?: never;
        /** Create a coupon */
        post: operations["createCoupon"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/coupons/code/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Look up a coupon by code (case-insensitive) */
        get: operations["getCouponByCode"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/coupons/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a coupon */
        get: operations["getCoupon"];
        put?: never;
        post?: never;
        /** Delete a coupon */
        delete: operations["deleteCoupon"];
        options?: never;
        head?: never;
        /** Update a coupon (optimistic: `version` or `If-Match`) */
        patch: operations["updateCoupon"];
        trace?: never;
    };
    "/v1/tax-rates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tax rates, newest first */
        get: operations["listTaxRates"];
        put?: never;
        /** Create a tax rate for a country, or a region of it */
        post: operations["createTaxRate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tax-rates/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a tax rate */
        get: operations["getTaxRate"];
        put?: never;
        post?: never;
        /** Delete a tax rate */
        delete: operations["deleteTaxRate"];
        options?: never;
        head?: never;
        /** Update a tax rate (optimistic: `version` or `If-Match`) */
        patch: operations["updateTaxRate"];
        trace?: never;
    };
    "/v1/shipping-rates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List shipping rates, newest first */
        get: operations["listShippingRates"];
        put?: never;
        /** Create a shipping rate (flat or by weight band) */
        post: operations["createShippingRate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/shipping-rates/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a shipping rate */
        get: operations["getShippingRate"];
        put?: never;
        post?: never;
        /** Delete a shipping rate */
        delete: operations["deleteShippingRate"];
        options?: never;
        head?: never;
        /** Update a shipping rate (optimistic: `version` or `If-Match`) */
        patch: operations["updateShippingRate"];
        trace?: never;
    };
    "/v1/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List products (publishable keys see active products only) */
        get: operations["listProducts"];
        put?: never;
        /** Create a product with its options, variants and images */
        post: operations["createProduct"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/products/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a product by id or slug (publishable keys: active products only), with ETag and CDN headers */
        get: operations["getProduct"];
        put?: never;
        post?: never;
        /** Delete a product and its variants (`If-Match` optional) */
        delete: operations["deleteProduct"];
        options?: never;
        head?: never;
        /** Update a product (optimistic concurrency: `version` or `If-Match`) */
        patch: operations["updateProduct"];
        trace?: never;
    };
    "/v1/products/{id}/variants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a variant to a product */
        post: operations["createVariant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/variants/by-sku/{sku}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a variant by SKU (publishable keys: of active products only) */
        get: operations["getVariantBySku"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/variants/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a variant (publishable keys: of active products only) */
        get: operations["getVariant"];
        put?: never;
        post?: never;
        /** Delete a variant */
        delete: operations["deleteVariant"];
        options?: never;
        head?: never;
        /** Update a variant (the product's `version` or `If-Match` is checked when sent) */
        patch: operations["updateVariant"];
        trace?: never;
    };
    "/v1/collections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List collections */
        get: operations["listCollections"];
        put?: never;
        /** Create a collection, optionally with its products in order */
        post: operations["createCollection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/collections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a collection by id or slug with a page of its products, in collection order */
        get: operations["getCollection"];
        put?: never;
        post?: never;
        /** Delete a collection (its products stay) */
        delete: operations["deleteCollection"];
        options?: never;
        head?: never;
        /** Update a collection (optimistic concurrency: `version` or `If-Match`) */
        patch: operations["updateCollection"];
        trace?: never;
    };
    "/v1/collections/{id}/products": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a collection's products and their order */
        put: operations["setCollectionProducts"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/products/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search products: ranked full text with typo tolerance, filters, facets
         * @description Publishable keys see active products only; secret keys see every status.
         */
        get: operations["searchProducts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/inventory/{variant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A variant's stock: on hand, committed to orders, held by carts, available */
        get: operations["getInventoryLevel"];
        /** Set on-hand stock (a count); recorded as a `set` movement with the difference */
        put: operations["setInventoryLevel"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/inventory/{variant_id}/adjust": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add or remove on-hand units (receipt, loss); never below zero on hand
         * @description Recorded as an `adjust` movement. On-hand may end below `committed` (a count that finds fewer units is recorded as it is), but a negative delta larger than the on-hand stock is refused with `INSUFFICIENT_STOCK`.
         */
        post: operations["adjustInventory"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/inventory/{variant_id}/movements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A variant's stock ledger, newest first */
        get: operations["listInventoryMovements"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a cart; holds stock for its lines */
        post: operations["createCart"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The cart of the token, re-priced from the catalog */
        get: operations["getCart"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/lines": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a quantity of a variant (adds to the line if present) */
        post: operations["addCartLine"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/lines/{variant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a line */
        delete: operations["removeCartLine"];
        options?: never;
        head?: never;
        /** Set a line's quantity (0 removes it) */
        patch: operations["updateCartLine"];
        trace?: never;
    };
    "/v1/carts/current/coupon": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Apply a coupon code */
        put: operations["applyCartCoupon"];
        post?: never;
        /** Remove the coupon */
        delete: operations["removeCartCoupon"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set the shopper's email */
        put: operations["setCartEmail"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/shipping-address": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set the shipping address */
        put: operations["setCartShippingAddress"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/billing-address": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set the billing address */
        put: operations["setCartBillingAddress"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/carts/current/shipping-rate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Choose a shipping rate among `shipping_options` */
        put: operations["setCartShippingRate"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List orders, newest first */
        get: operations["listOrders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An order with its lines, events, payments, refunds and fulfilments */
        get: operations["getOrder"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/public": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The shopper's view of an order, with the order secret given at checkout */
        get: operations["getPublicOrder"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/fulfill": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark a paid order fulfilled (captures first when the store captures manually) */
        post: operations["fulfillOrder"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel an order: voids or refunds the payment and returns the stock */
        post: operations["cancelOrder"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/refund": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Refund part or all of what was captured (idempotent with Idempotency-Key) */
        post: operations["refundOrder"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/orders/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark a fulfilled order completed */
        post: operations["completeOrder"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/checkout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turn a cart into an order and pay for it (Idempotency-Key required)
         * @description 201: the order is paid (or authorized, for stores that capture manually). 202: the gateway did not answer in time; the order is pending and is settled by the gateway webhook or the reconciliation job — follow it with GET /v1/orders/{id}/public. 402: declined or failed, the stock is released. A retry with the same Idempotency-Key never creates a second order or a second charge.
         */
        post: operations["createCheckout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{gateway}/{store_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Payment gateway notifications (signature verified; no API key) */
        post: operations["receiveGatewayWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Store: {
            id: string;
            /** @enum {string} */
            object: "store";
            name: string;
            currency: string;
            settings: {
                [key: string]: unknown;
            };
            created_at: string;
        };
        /**
         * @example {
         *       "error": {
         *         "type": "payment_error",
         *         "code": "PAYMENT_DECLINED",
         *         "message": "The card was declined.",
         *         "decline_code": "card_declined",
         *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
         *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
         *       }
         *     }
         */
        Error: {
            error: {
                /**
                 * @description The family of the error.
                 * @enum {string}
                 */
                type: "invalid_request_error" | "not_found_error" | "authentication_error" | "permission_error" | "rate_limit_error" | "conflict_error" | "idempotency_error" | "payment_error" | "api_error";
                /**
                 * @description A code from the catalogue (docs/errors.md); branch on this.
                 * @enum {string}
                 */
                code: "VALIDATION_FAILED" | "MALFORMED_JSON" | "UNSUPPORTED_MEDIA_TYPE" | "PAYLOAD_TOO_LARGE" | "INVALID_CURSOR" | "INVALID_ID" | "ROUTE_NOT_FOUND" | "METHOD_NOT_ALLOWED" | "AUTH_REQUIRED" | "INVALID_API_KEY" | "INVALID_ROOT_TOKEN" | "INVALID_METRICS_TOKEN" | "SECRET_KEY_REQUIRED" | "LIVE_KEY_REQUIRED" | "RATE_LIMITED" | "STORE_NOT_FOUND" | "API_KEY_NOT_FOUND" | "PRODUCT_NOT_FOUND" | "VARIANT_NOT_FOUND" | "COLLECTION_NOT_FOUND" | "SLUG_TAKEN" | "SKU_TAKEN" | "VERSION_CONFLICT" | "INVALID_OPTION_VALUES" | "IDEMPOTENCY_KEY_REQUIRED" | "IDEMPOTENCY_KEY_INVALID" | "IDEMPOTENCY_KEY_REUSED" | "IDEMPOTENCY_KEY_IN_USE" | "CART_TOKEN_MISSING" | "CART_TOKEN_MALFORMED" | "CART_TOKEN_INVALID_SIGNATURE" | "CART_TOKEN_EXPIRED" | "CART_TOKEN_WRONG_STORE" | "CART_TOKEN_TOO_LARGE" | "CART_LINE_NOT_FOUND" | "CART_TOO_MANY_LINES" | "CART_EMPTY" | "VARIANT_UNAVAILABLE" | "CURRENCY_MISMATCH" | "INSUFFICIENT_STOCK" | "INVENTORY_NOT_FOUND" | "COUPON_NOT_FOUND" | "COUPON_CODE_TAKEN" | "COUPON_NOT_APPLICABLE" | "COUPON_EXHAUSTED" | "SHIPPING_RATE_NOT_FOUND" | "TAX_RATE_NOT_FOUND" | "TAX_RATE_EXISTS" | "SHIPPING_REQUIRED" | "EMAIL_REQUIRED" | "PAYMENT_DECLINED" | "PAYMENT_FAILED" | "GATEWAY_UNAVAILABLE" | "GATEWAY_NOT_CONFIGURED" | "LIVE_GATEWAY_NOT_CONFIGURED" | "TEST_CARD_IN_LIVE_MODE" | "CART_ALREADY_CHECKED_OUT" | "INVALID_WEBHOOK_SIGNATURE" | "ORDER_NOT_FOUND" | "INVALID_ORDER_TRANSITION" | "REFUND_EXCEEDS_CAPTURED" | "SERVICE_UNAVAILABLE" | "INTERNAL_ERROR";
                /** @description For people: may change between versions. */
                message: string;
                /** @description The parameter, field (dotted path) or header at fault. */
                param?: string;
                /** @description PAYMENT_DECLINED / PAYMENT_FAILED: why the gateway refused the card. */
                decline_code?: string | null;
                /** @description Checkout and payment errors: the order that was created (and not paid). */
                order_id?: string;
                /** @description The refund concerned, when one exists. */
                refund_id?: string;
                /** @description REFUND_EXCEEDS_CAPTURED: what can still be refunded, in minor units. */
                refundable?: number;
                /** @description VERSION_CONFLICT: the version to read again and retry with. */
                current_version?: number;
                /** @description INVALID_TRANSITION: the current status. */
                from?: string;
                /** @description INVALID_TRANSITION: the status asked for. */
                to?: string;
                /** @description Why a coupon does not apply (e.g. `min_subtotal`). */
                reason?: string;
                /** @description Stock errors: the variant concerned. */
                variant_id?: string;
                /** @description INSUFFICIENT_STOCK: how many can be sold now. */
                available?: number;
                /** @description Stock adjustments: the current on-hand count. */
                on_hand?: number;
                /** @description Checkout: every problem found in the cart. */
                problems?: {
                    code: string;
                    message: string;
                    variant_id?: string;
                }[];
                /** @description Quote it to support; it is in the logs. */
                request_id: string;
            };
        };
        ApiKey: {
            id: string;
            /** @enum {string} */
            object: "api_key";
            store_id: string;
            /** @enum {string} */
            kind: "publishable" | "secret";
            /** @enum {string} */
            mode: "test" | "live";
            name: string | null;
            hint: string;
            created_at: string;
            revoked_at: string | null;
            /** @description The key itself; present only in the create response. */
            key?: string;
        };
        Coupon: {
            id: string;
            /** @enum {string} */
            object: "coupon";
            code: string;
            /** @enum {string} */
            kind: "percent" | "fixed" | "free_shipping";
            value: number;
            min_subtotal: number;
            starts_at: string | null;
            ends_at: string | null;
            usage_limit: number | null;
            used_count: number;
            active: boolean;
            version: number;
            created_at: string;
            updated_at: string;
        };
        Deleted: {
            id: string;
            object: string;
            /** @enum {boolean} */
            deleted: true;
        };
        TaxRate: {
            id: string;
            /** @enum {string} */
            object: "tax_rate";
            country: string;
            region: string | null;
            /** @description Basis points: 2000 = 20%. */
            rate: number;
            name: string;
            applies_to_shipping: boolean;
            version: number;
            created_at: string;
            updated_at: string;
        };
        ShippingRate: {
            id: string;
            /** @enum {string} */
            object: "shipping_rate";
            name: string;
            countries: string[];
            /** @enum {string} */
            kind: "flat" | "weight";
            amount: number;
            weight_bands: {
                up_to_grams: number;
                amount: number;
            }[];
            free_above: number | null;
            version: number;
            created_at: string;
            updated_at: string;
        };
        ProductList: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["Product"][];
            has_more: boolean;
            next_cursor: string | null;
        };
        Product: {
            id: string;
            /** @enum {string} */
            object: "product";
            title: string;
            slug: string;
            description: string;
            /** @enum {string} */
            status: "draft" | "active" | "archived";
            tags: string[];
            metadata: {
                [key: string]: string;
            };
            images: {
                id: string;
                url: string;
                alt: string | null;
            }[];
            options: {
                name: string;
                values: string[];
            }[];
            variants: components["schemas"]["Variant"][];
            price_range: {
                min: number | null;
                max: number | null;
                currency: string;
            };
            version: number;
            created_at: string;
            updated_at: string;
        };
        Variant: {
            id: string;
            /** @enum {string} */
            object: "variant";
            product_id: string;
            sku: string;
            title: string;
            option_values: {
                [key: string]: string;
            };
            price: number;
            compare_at_price: number | null;
            currency: string;
            weight_grams: number;
            track_inventory: boolean;
            allow_backorder: boolean;
            position: number;
            availability: {
                in_stock: boolean;
                available: number | null;
            };
            created_at: string;
            updated_at: string;
        };
        CollectionList: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["Collection"][];
            has_more: boolean;
            next_cursor: string | null;
        };
        Collection: {
            id: string;
            /** @enum {string} */
            object: "collection";
            title: string;
            slug: string;
            description: string;
            metadata: {
                [key: string]: string;
            };
            version: number;
            created_at: string;
            updated_at: string;
        };
        CollectionWithProducts: components["schemas"]["Collection"] & {
            products: {
                /** @enum {string} */
                object: "list";
                data: components["schemas"]["Product"][];
                has_more: boolean;
                next_cursor: string | null;
            };
        };
        ProductSearchResult: {
            /** @enum {string} */
            object: "list";
            data: components["schemas"]["ProductSummary"][];
            has_more: boolean;
            next_cursor: string | null;
            facets: {
                /** @description Matches the facets were counted over. */
                total: number;
                /** @description False when more than 500 products match: facets then cover the best 500 in sort order. */
                exhaustive: boolean;
                collections: {
                    id: string;
                    title: string;
                    count: number;
                }[];
                /**
                 * @description Option name → value → number of products with a variant of that value.
                 * @example {
                 *       "Color": {
                 *         "Red": 3
                 *       }
                 *     }
                 */
                options: {
                    [key: string]: {
                        [key: string]: number;
                    };
                };
                /** @description Cheapest-variant prices of the matches, in up to 6 buckets of equal width. */
                price: {
                    min: number;
                    max: number;
                    buckets: {
                        /** @description Inclusive, minor units. */
                        min: number;
                        /** @description Exclusive, minor units. */
                        max: number;
                        count: number;
                    }[];
                } | null;
                /** @description Matches with a sellable variant. */
                in_stock: number;
            };
            query: {
                q: string | null;
                /** @description Query words not found in the catalog, and the similar words searched instead. */
                corrected: {
                    word: string;
                    replacements: string[];
                }[];
            };
        };
        ProductSummary: {
            id: string;
            /** @enum {string} */
            object: "product_summary";
            title: string;
            slug: string;
            price_range: {
                min: number;
                max: number;
                currency: string;
            };
            tags: string[];
            image: {
                id: string;
                url: string;
                alt: string | null;
            } | null;
            in_stock: boolean;
            /** @description Relevance (with `q` only); higher is better. */
            score?: number;
        };
        InventoryLevel: {
            /** @enum {string} */
            object: "inventory_level";
            variant_id: string;
            on_hand: number;
            /** @description Units reserved by orders not yet captured. */
            committed: number;
            /** @description Units in live cart holds. */
            held: number;
            /** @description on_hand − committed − held; negative when oversold. */
            available: number;
        };
        InventoryMovement: {
            id: string;
            /** @enum {string} */
            object: "inventory_movement";
            variant_id: string;
            delta_on_hand: number;
            delta_committed: number;
            /** @enum {string} */
            reason: "set" | "adjust" | "reserve" | "commit" | "release" | "expire" | "return" | "cancel";
            /** @description The order id, for order-driven movements. */
            reference: string | null;
            note: string | null;
            created_at: string;
        };
        Cart: {
            /** @enum {string} */
            object: "cart";
            id: string;
            /** @description The new cart token: send it as `X-Cart-Token` on the next call. */
            token: string;
            currency: string;
            lines: {
                variant_id: string;
                product_id: string;
                product_slug: string;
                sku: string;
                title: string;
                product_title: string;
                variant_title: string;
                option_values: {
                    [key: string]: string;
                };
                quantity: number;
                unit_price: number;
                compare_at_price: number | null;
                subtotal: number;
                discount: number;
                tax: number;
                total: number;
                /** @description False when the variant is not for sale now; the line is not priced. */
                available: boolean;
            }[];
            subtotal: number;
            discount_total: number;
            shipping_total: number;
            tax_total: number;
            total: number;
            tax_inclusive: boolean;
            /** @description `reason` says why a coupon in the cart does not apply (e.g. `min_subtotal`). */
            coupon: {
                code: string;
                applied: boolean;
                reason?: string;
            } | null;
            email: string | null;
            shipping_address: components["schemas"]["Address"];
            billing_address: components["schemas"]["Address"];
            shipping_options: {
                id: string;
                name: string;
                amount: number;
            }[];
            shipping: {
                id: string;
                name: string;
                amount: number;
            } | null;
            expires_at: string;
            problems: {
                code: string;
                message: string;
                variant_id?: string;
            }[];
        };
        Address: {
            name?: string;
            line1?: string;
            line2?: string;
            city?: string;
            region?: string;
            postal_code?: string;
            country: string;
            phone?: string;
        } | null;
        Order: {
            id: string;
            /** @enum {string} */
            object: "order";
            /**
             * @description true for orders placed with a live key
             * @example false
             */
            livemode: boolean;
            /**
             * @example paid
             * @enum {string}
             */
            status: "pending" | "paid" | "fulfilled" | "completed" | "cancelled";
            payment_status: string;
            fulfillment_status: string;
            currency: string;
            email: string;
            subtotal: number;
            discount_total: number;
            shipping_total: number;
            tax_total: number;
            total: number;
            lines: {
                /** @enum {string} */
                object: "order_line";
                variant_id: string;
                product_id: string | null;
                sku: string;
                product_title: string;
                title: string;
                unit_price: number;
                quantity: number;
                subtotal: number;
                discount: number;
                tax: number;
                total: number;
            }[];
            created_at: string;
        } & {
            [key: string]: unknown;
        };
        OrderDetail: components["schemas"]["Order"] & {
            events: ({
                id: string;
                type: string;
            } & {
                [key: string]: unknown;
            })[];
            payments: ({
                id: string;
                status: string;
            } & {
                [key: string]: unknown;
            })[];
            refunds: ({
                id: string;
                amount: number;
                status: string;
            } & {
                [key: string]: unknown;
            })[];
            fulfillments: ({
                id: string;
                carrier: string;
            } & {
                [key: string]: unknown;
            })[];
        };
        Refund: {
            id: string;
            /** @enum {string} */
            object: "refund";
            amount: number;
            status: string;
        } & {
            [key: string]: unknown;
        };
        CheckoutResult: {
            order: components["schemas"]["Order"];
            /** @description Shown once: send it as `X-Order-Secret` to GET /v1/orders/{id}/public. */
            order_secret: string;
        };
    };
    responses: never;
    parameters: {
        /**
         * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
         * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
         */
        IdempotencyKey: string;
        /**
         * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key. Required: a checkout must never be charged twice.
         * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
         */
        IdempotencyKeyRequired: string;
    };
    requestBodies: never;
    headers: {
        /** @description The id of this request (yours when you sent a sane `X-Request-Id`); quote it when asking for help. */
        "X-Request-Id": string;
        /** @description W3C trace context of this request (continues yours when you sent one). */
        traceparent: string;
        /** @description `true` when this response is the stored answer to an earlier request with the same key. */
        "Idempotent-Replayed": "true";
        /** @description Seconds to wait before retrying (with the same `Idempotency-Key`). */
        "Retry-After": number;
        /** @description A strong validator of the body; send it back as `If-None-Match` to get a `304`. */
        ETag: string;
        /** @description How long a CDN or browser may keep the response (`public, max-age, stale-while-revalidate`). */
        "Cache-Control": string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok",
                     *       "checks": {}
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        status: "ok" | "unavailable";
                        checks?: {
                            [key: string]: string;
                        };
                    };
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok",
                     *       "checks": {}
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        status: "ok" | "unavailable";
                        checks?: {
                            [key: string]: string;
                        };
                    };
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not ready */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createStore: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "currency": "USD",
                 *       "settings": {
                 *         "tax_inclusive": true,
                 *         "gateway": "test",
                 *         "stripe": {
                 *           "test": {
                 *             "secret_key": "sk_test_51ExampleKeyOnly",
                 *             "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *           },
                 *           "live": {
                 *             "secret_key": "sk_live_51ExampleKeyOnly",
                 *             "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *           }
                 *         },
                 *         "test_gateway": {
                 *           "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *         },
                 *         "capture": "automatic",
                 *         "hold_ttl_seconds": 2500
                 *       }
                 *     }
                 */
                "application/json": {
                    name: string;
                    /**
                     * @default USD
                     * @enum {string}
                     */
                    currency?: "USD" | "EUR" | "GBP" | "CAD" | "AUD" | "NZD" | "CHF" | "SEK" | "NOK" | "DKK" | "PLN" | "CZK" | "HUF" | "MXN" | "BRL" | "INR" | "CNY" | "HKD" | "SGD" | "ZAR" | "TRY" | "ILS" | "AED" | "SAR" | "JPY" | "KRW" | "CLP" | "VND" | "ISK" | "UGX" | "KWD" | "BHD" | "OMR" | "JOD" | "TND";
                    settings?: {
                        tax_inclusive?: boolean;
                        /**
                         * @description Gateway of test-mode checkouts. Live-mode checkouts always use `stripe.live`.
                         * @enum {string}
                         */
                        gateway?: "test" | "stripe";
                        /** @description Stripe credentials per mode; only a live secret key may set `live`. */
                        stripe?: {
                            test?: {
                                /** @example sk_test_51ExampleKeyOnly */
                                secret_key: string;
                                webhook_secret?: string;
                            };
                            live?: {
                                /** @example sk_live_51ExampleKeyOnly */
                                secret_key: string;
                                webhook_secret?: string;
                            };
                        };
                        /** @description Signs the built-in test gateway's webhooks; generated with the store. */
                        test_gateway?: {
                            webhook_secret: string;
                        };
                        /** @enum {string} */
                        capture?: "automatic" | "manual";
                        hold_ttl_seconds?: number;
                    };
                };
            };
        };
        responses: {
            /** @description The store */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "store",
                     *       "name": "Jane Doe",
                     *       "currency": "USD",
                     *       "settings": {},
                     *       "created_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Store"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getStore: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                store_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The store */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "store",
                     *       "name": "Jane Doe",
                     *       "currency": "USD",
                     *       "settings": {},
                     *       "created_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Store"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listApiKeys: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                store_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Keys */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "key_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "api_key",
                     *           "store_id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "kind": "publishable",
                     *           "mode": "test",
                     *           "name": "Jane Doe",
                     *           "hint": "Did you mean \"linen\"?",
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "revoked_at": "2026-03-14T15:09:26.000Z",
                     *           "key": "pk_test_51Hq9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["ApiKey"][];
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                store_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "kind": "publishable",
                 *       "mode": "test",
                 *       "name": "Jane Doe"
                 *     }
                 */
                "application/json": {
                    /** @enum {string} */
                    kind: "publishable" | "secret";
                    /**
                     * @default test
                     * @enum {string}
                     */
                    mode?: "test" | "live";
                    name?: string;
                };
            };
        };
        responses: {
            /** @description The new key, with `key` in plain text */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "api_key",
                     *       "store_id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "kind": "publishable",
                     *       "mode": "test",
                     *       "name": "Jane Doe",
                     *       "hint": "Did you mean \"linen\"?",
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "revoked_at": "2026-03-14T15:09:26.000Z",
                     *       "key": "pk_test_51Hq9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9"
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                store_id: string;
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revoked key */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "api_key",
                     *       "store_id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "kind": "publishable",
                     *       "mode": "test",
                     *       "name": "Jane Doe",
                     *       "hint": "Did you mean \"linen\"?",
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "revoked_at": "2026-03-14T15:09:26.000Z",
                     *       "key": "pk_test_51Hq9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9"
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCurrentStore: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The store */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "store",
                     *       "name": "Jane Doe",
                     *       "currency": "USD",
                     *       "settings": {},
                     *       "created_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Store"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateCurrentStore: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "settings": {
                 *         "tax_inclusive": true,
                 *         "gateway": "test",
                 *         "stripe": {
                 *           "test": {
                 *             "secret_key": "sk_test_51ExampleKeyOnly",
                 *             "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *           },
                 *           "live": {
                 *             "secret_key": "sk_live_51ExampleKeyOnly",
                 *             "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *           }
                 *         },
                 *         "test_gateway": {
                 *           "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                 *         },
                 *         "capture": "automatic",
                 *         "hold_ttl_seconds": 2500
                 *       }
                 *     }
                 */
                "application/json": {
                    name?: string;
                    settings?: {
                        tax_inclusive?: boolean;
                        /**
                         * @description Gateway of test-mode checkouts. Live-mode checkouts always use `stripe.live`.
                         * @enum {string}
                         */
                        gateway?: "test" | "stripe";
                        /** @description Stripe credentials per mode; only a live secret key may set `live`. */
                        stripe?: {
                            test?: {
                                /** @example sk_test_51ExampleKeyOnly */
                                secret_key: string;
                                webhook_secret?: string;
                            };
                            live?: {
                                /** @example sk_live_51ExampleKeyOnly */
                                secret_key: string;
                                webhook_secret?: string;
                            };
                        };
                        /** @description Signs the built-in test gateway's webhooks; generated with the store. */
                        test_gateway?: {
                            webhook_secret: string;
                        };
                        /** @enum {string} */
                        capture?: "automatic" | "manual";
                        hold_ttl_seconds?: number;
                    };
                };
            };
        };
        responses: {
            /** @description The store */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "store_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "store",
                     *       "name": "Jane Doe",
                     *       "currency": "USD",
                     *       "settings": {},
                     *       "created_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Store"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listCoupons: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Coupons */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "cpn_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "coupon",
                     *           "code": "SUMMER10",
                     *           "kind": "percent",
                     *           "value": 2500,
                     *           "min_subtotal": 2500,
                     *           "starts_at": "2026-03-14T15:09:26.000Z",
                     *           "ends_at": "2026-03-14T15:09:26.000Z",
                     *           "usage_limit": 20,
                     *           "used_count": 1,
                     *           "active": true,
                     *           "version": 3,
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["Coupon"][];
                        has_more: boolean;
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createCoupon: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "SUMMER10",
                 *       "kind": "percent",
                 *       "value": 0,
                 *       "min_subtotal": 0,
                 *       "starts_at": "2026-03-14T15:09:26.000Z",
                 *       "ends_at": "2026-03-14T15:09:26.000Z",
                 *       "usage_limit": 20,
                 *       "active": true
                 *     }
                 */
                "application/json": {
                    code: string;
                    /** @enum {string} */
                    kind: "percent" | "fixed" | "free_shipping";
                    /**
                     * @description Percent (1..100) for `percent`, minor units for `fixed`, 0 for `free_shipping`.
                     * @default 0
                     */
                    value?: number;
                    /** @default 0 */
                    min_subtotal?: number;
                    /**
                     * Format: date-time
                     * @default null
                     */
                    starts_at?: string | null;
                    /**
                     * Format: date-time
                     * @default null
                     */
                    ends_at?: string | null;
                    /** @default null */
                    usage_limit?: number | null;
                    /** @default true */
                    active?: boolean;
                };
            };
        };
        responses: {
            /** @description The coupon */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "cpn_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "coupon",
                     *       "code": "SUMMER10",
                     *       "kind": "percent",
                     *       "value": 2500,
                     *       "min_subtotal": 2500,
                     *       "starts_at": "2026-03-14T15:09:26.000Z",
                     *       "ends_at": "2026-03-14T15:09:26.000Z",
                     *       "usage_limit": 20,
                     *       "used_count": 1,
                     *       "active": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Coupon"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict: code taken, duplicate rate, or version changed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCouponByCode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The coupon */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "cpn_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "coupon",
                     *       "code": "SUMMER10",
                     *       "kind": "percent",
                     *       "value": 2500,
                     *       "min_subtotal": 2500,
                     *       "starts_at": "2026-03-14T15:09:26.000Z",
                     *       "ends_at": "2026-03-14T15:09:26.000Z",
                     *       "usage_limit": 20,
                     *       "used_count": 1,
                     *       "active": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Coupon"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCoupon: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The coupon */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "cpn_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "coupon",
                     *       "code": "SUMMER10",
                     *       "kind": "percent",
                     *       "value": 2500,
                     *       "min_subtotal": 2500,
                     *       "starts_at": "2026-03-14T15:09:26.000Z",
                     *       "ends_at": "2026-03-14T15:09:26.000Z",
                     *       "usage_limit": 20,
                     *       "used_count": 1,
                     *       "active": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Coupon"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteCoupon: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateCoupon: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you last read, e.g. "3". */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "SUMMER10",
                 *       "kind": "percent",
                 *       "value": 2500,
                 *       "min_subtotal": 2500,
                 *       "starts_at": "2026-03-14T15:09:26.000Z",
                 *       "ends_at": "2026-03-14T15:09:26.000Z",
                 *       "usage_limit": 20,
                 *       "active": true,
                 *       "version": 3
                 *     }
                 */
                "application/json": {
                    code?: string;
                    /** @enum {string} */
                    kind?: "percent" | "fixed" | "free_shipping";
                    /** @description Percent (1..100) for `percent`, minor units for `fixed`, 0 for `free_shipping`. */
                    value?: number;
                    min_subtotal?: number;
                    /** Format: date-time */
                    starts_at?: string | null;
                    /** Format: date-time */
                    ends_at?: string | null;
                    usage_limit?: number | null;
                    active?: boolean;
                    version?: number;
                };
            };
        };
        responses: {
            /** @description The coupon */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "cpn_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "coupon",
                     *       "code": "SUMMER10",
                     *       "kind": "percent",
                     *       "value": 2500,
                     *       "min_subtotal": 2500,
                     *       "starts_at": "2026-03-14T15:09:26.000Z",
                     *       "ends_at": "2026-03-14T15:09:26.000Z",
                     *       "usage_limit": 20,
                     *       "used_count": 1,
                     *       "active": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Coupon"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict: code taken, duplicate rate, or version changed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listTaxRates: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                country?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Tax rates */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "txr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "tax_rate",
                     *           "country": "US",
                     *           "region": "NY",
                     *           "rate": 2500,
                     *           "name": "Jane Doe",
                     *           "applies_to_shipping": true,
                     *           "version": 3,
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["TaxRate"][];
                        has_more: boolean;
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createTaxRate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "country": "US",
                 *       "region": "NY",
                 *       "rate": 2500,
                 *       "name": "Jane Doe",
                 *       "applies_to_shipping": false
                 *     }
                 */
                "application/json": {
                    country: string;
                    /** @default null */
                    region?: string | null;
                    /** @description Basis points: 2000 = 20%. */
                    rate: number;
                    name: string;
                    /** @default false */
                    applies_to_shipping?: boolean;
                };
            };
        };
        responses: {
            /** @description The tax rate */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "txr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "tax_rate",
                     *       "country": "US",
                     *       "region": "NY",
                     *       "rate": 2500,
                     *       "name": "Jane Doe",
                     *       "applies_to_shipping": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["TaxRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict: code taken, duplicate rate, or version changed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTaxRate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tax rate */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "txr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "tax_rate",
                     *       "country": "US",
                     *       "region": "NY",
                     *       "rate": 2500,
                     *       "name": "Jane Doe",
                     *       "applies_to_shipping": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["TaxRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteTaxRate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateTaxRate: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you last read, e.g. "3". */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "country": "US",
                 *       "region": "NY",
                 *       "rate": 2500,
                 *       "name": "Jane Doe",
                 *       "applies_to_shipping": true,
                 *       "version": 3
                 *     }
                 */
                "application/json": {
                    country?: string;
                    region?: string | null;
                    /** @description Basis points: 2000 = 20%. */
                    rate?: number;
                    name?: string;
                    applies_to_shipping?: boolean;
                    version?: number;
                };
            };
        };
        responses: {
            /** @description The tax rate */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "txr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "tax_rate",
                     *       "country": "US",
                     *       "region": "NY",
                     *       "rate": 2500,
                     *       "name": "Jane Doe",
                     *       "applies_to_shipping": true,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["TaxRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict: code taken, duplicate rate, or version changed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listShippingRates: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Shipping rates */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "shr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "shipping_rate",
                     *           "name": "Jane Doe",
                     *           "countries": [
                     *             "US"
                     *           ],
                     *           "kind": "flat",
                     *           "amount": 2500,
                     *           "weight_bands": [
                     *             {
                     *               "up_to_grams": 2500,
                     *               "amount": 2500
                     *             }
                     *           ],
                     *           "free_above": 2500,
                     *           "version": 3,
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["ShippingRate"][];
                        has_more: boolean;
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createShippingRate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "countries": [
                 *         "*"
                 *       ],
                 *       "kind": "flat",
                 *       "amount": 0,
                 *       "weight_bands": [],
                 *       "free_above": 2500
                 *     }
                 */
                "application/json": {
                    name: string;
                    /** @description ISO 3166-1 alpha-2 codes, or ['*'] for the rest of the world. */
                    countries: ("*" | string)[];
                    /**
                     * @default flat
                     * @enum {string}
                     */
                    kind?: "flat" | "weight";
                    /** @default 0 */
                    amount?: number;
                    /** @default [] */
                    weight_bands?: {
                        up_to_grams: number;
                        amount: number;
                    }[];
                    /** @default null */
                    free_above?: number | null;
                };
            };
        };
        responses: {
            /** @description The shipping rate */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "shr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "shipping_rate",
                     *       "name": "Jane Doe",
                     *       "countries": [
                     *         "US"
                     *       ],
                     *       "kind": "flat",
                     *       "amount": 2500,
                     *       "weight_bands": [
                     *         {
                     *           "up_to_grams": 2500,
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "free_above": 2500,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["ShippingRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getShippingRate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The shipping rate */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "shr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "shipping_rate",
                     *       "name": "Jane Doe",
                     *       "countries": [
                     *         "US"
                     *       ],
                     *       "kind": "flat",
                     *       "amount": 2500,
                     *       "weight_bands": [
                     *         {
                     *           "up_to_grams": 2500,
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "free_above": 2500,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["ShippingRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteShippingRate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateShippingRate: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you last read, e.g. "3". */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "countries": [
                 *         "*"
                 *       ],
                 *       "kind": "flat",
                 *       "amount": 2500,
                 *       "weight_bands": [
                 *         {
                 *           "up_to_grams": 2500,
                 *           "amount": 2500
                 *         }
                 *       ],
                 *       "free_above": 2500,
                 *       "version": 3
                 *     }
                 */
                "application/json": {
                    name?: string;
                    /** @description ISO 3166-1 alpha-2 codes, or ['*'] for the rest of the world. */
                    countries?: ("*" | string)[];
                    /** @enum {string} */
                    kind?: "flat" | "weight";
                    amount?: number;
                    weight_bands?: {
                        up_to_grams: number;
                        amount: number;
                    }[];
                    free_above?: number | null;
                    version?: number;
                };
            };
        };
        responses: {
            /** @description The shipping rate */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "shr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "shipping_rate",
                     *       "name": "Jane Doe",
                     *       "countries": [
                     *         "US"
                     *       ],
                     *       "kind": "flat",
                     *       "amount": 2500,
                     *       "weight_bands": [
                     *         {
                     *           "up_to_grams": 2500,
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "free_above": 2500,
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["ShippingRate"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict: code taken, duplicate rate, or version changed */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listProducts: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
                /** @description Secret keys only. */
                status?: "draft" | "active" | "archived";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Products in id order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "product",
                     *           "title": "Linen shirt",
                     *           "slug": "linen-shirt",
                     *           "description": "Breathable linen, cut for summer.",
                     *           "status": "draft",
                     *           "tags": [
                     *             "summer"
                     *           ],
                     *           "metadata": {},
                     *           "images": [
                     *             {
                     *               "id": "id",
                     *               "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *               "alt": "A blue linen shirt, front"
                     *             }
                     *           ],
                     *           "options": [
                     *             {
                     *               "name": "Jane Doe",
                     *               "values": [
                     *                 "Blue"
                     *               ]
                     *             }
                     *           ],
                     *           "variants": [
                     *             {
                     *               "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *               "object": "variant",
                     *               "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *               "sku": "SHIRT-M-BLUE",
                     *               "title": "Linen shirt",
                     *               "option_values": {},
                     *               "price": 2500,
                     *               "compare_at_price": 2500,
                     *               "currency": "USD",
                     *               "weight_grams": 2500,
                     *               "track_inventory": true,
                     *               "allow_backorder": true,
                     *               "position": 1,
                     *               "availability": {
                     *                 "in_stock": true,
                     *                 "available": 2
                     *               },
                     *               "created_at": "2026-03-14T15:09:26.000Z",
                     *               "updated_at": "2026-03-14T15:09:26.000Z"
                     *             }
                     *           ],
                     *           "price_range": {
                     *             "min": 2500,
                     *             "max": 2500,
                     *             "currency": "USD"
                     *           },
                     *           "version": 3,
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": components["schemas"]["ProductList"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createProduct: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Linen shirt",
                 *       "slug": "linen-shirt",
                 *       "description": "Breathable linen, cut for summer.",
                 *       "status": "draft",
                 *       "tags": [
                 *         "summer"
                 *       ],
                 *       "metadata": {},
                 *       "images": [
                 *         {
                 *           "url": "https://shop.example.com/images/linen-shirt.jpg",
                 *           "alt": "A blue linen shirt, front"
                 *         }
                 *       ],
                 *       "options": [
                 *         {
                 *           "name": "Jane Doe",
                 *           "values": [
                 *             "Blue"
                 *           ]
                 *         }
                 *       ],
                 *       "variants": [
                 *         {
                 *           "sku": "SHIRT-M-BLUE",
                 *           "price": 2500,
                 *           "compare_at_price": 2500,
                 *           "option_values": {},
                 *           "weight_grams": 2500,
                 *           "track_inventory": true,
                 *           "allow_backorder": true,
                 *           "title": "Linen shirt"
                 *         }
                 *       ],
                 *       "collection_ids": [
                 *         "coll_01jb8x6k2m3n4p5q6r7s8t9v0w"
                 *       ]
                 *     }
                 */
                "application/json": {
                    title: string;
                    /** @description Derived from the title when omitted. */
                    slug?: string;
                    description?: string;
                    /**
                     * @description Defaults to `draft`.
                     * @enum {string}
                     */
                    status?: "draft" | "active" | "archived";
                    tags?: string[];
                    /** @description String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys. */
                    metadata?: {
                        [key: string]: string;
                    };
                    images?: {
                        /** Format: uri */
                        url: string;
                        alt?: string | null;
                    }[];
                    options?: {
                        name: string;
                        values: string[];
                    }[];
                    variants?: {
                        sku: string;
                        /** @description In minor units of the store currency. */
                        price: number;
                        compare_at_price?: number | null;
                        option_values?: {
                            [key: string]: string;
                        };
                        weight_grams?: number;
                        track_inventory?: boolean;
                        allow_backorder?: boolean;
                        title?: string;
                    }[];
                    collection_ids?: string[];
                };
            };
        };
        responses: {
            /** @description The product */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "product",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "status": "draft",
                     *       "tags": [
                     *         "summer"
                     *       ],
                     *       "metadata": {},
                     *       "images": [
                     *         {
                     *           "id": "id",
                     *           "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *           "alt": "A blue linen shirt, front"
                     *         }
                     *       ],
                     *       "options": [
                     *         {
                     *           "name": "Jane Doe",
                     *           "values": [
                     *             "Blue"
                     *           ]
                     *         }
                     *       ],
                     *       "variants": [
                     *         {
                     *           "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "variant",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "option_values": {},
                     *           "price": 2500,
                     *           "compare_at_price": 2500,
                     *           "currency": "USD",
                     *           "weight_grams": 2500,
                     *           "track_inventory": true,
                     *           "allow_backorder": true,
                     *           "position": 1,
                     *           "availability": {
                     *             "in_stock": true,
                     *             "available": 2
                     *           },
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "price_range": {
                     *         "min": 2500,
                     *         "max": 2500,
                     *         "currency": "USD"
                     *       },
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getProduct: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A product id (`prod_…`) or its slug. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The product */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "product",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "status": "draft",
                     *       "tags": [
                     *         "summer"
                     *       ],
                     *       "metadata": {},
                     *       "images": [
                     *         {
                     *           "id": "id",
                     *           "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *           "alt": "A blue linen shirt, front"
                     *         }
                     *       ],
                     *       "options": [
                     *         {
                     *           "name": "Jane Doe",
                     *           "values": [
                     *             "Blue"
                     *           ]
                     *         }
                     *       ],
                     *       "variants": [
                     *         {
                     *           "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "variant",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "option_values": {},
                     *           "price": 2500,
                     *           "compare_at_price": 2500,
                     *           "currency": "USD",
                     *           "weight_grams": 2500,
                     *           "track_inventory": true,
                     *           "allow_backorder": true,
                     *           "position": 1,
                     *           "availability": {
                     *             "in_stock": true,
                     *             "available": 2
                     *           },
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "price_range": {
                     *         "min": 2500,
                     *         "max": 2500,
                     *         "currency": "USD"
                     *       },
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteProduct: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateProduct: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "version": 3,
                 *       "title": "Linen shirt",
                 *       "slug": "linen-shirt",
                 *       "description": "Breathable linen, cut for summer.",
                 *       "status": "draft",
                 *       "tags": [
                 *         "summer"
                 *       ],
                 *       "metadata": {},
                 *       "images": [
                 *         {
                 *           "url": "https://shop.example.com/images/linen-shirt.jpg",
                 *           "alt": "A blue linen shirt, front"
                 *         }
                 *       ],
                 *       "options": [
                 *         {
                 *           "name": "Jane Doe",
                 *           "values": [
                 *             "Blue"
                 *           ]
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @description The version you read; or send `If-Match: "<version>"`. Required one way or the other. */
                    version?: number;
                    title?: string;
                    slug?: string;
                    description?: string;
                    /** @enum {string} */
                    status?: "draft" | "active" | "archived";
                    tags?: string[];
                    /** @description Replaces the whole metadata object. */
                    metadata?: {
                        [key: string]: string;
                    };
                    images?: {
                        /** Format: uri */
                        url: string;
                        alt?: string | null;
                    }[];
                    options?: {
                        name: string;
                        values: string[];
                    }[];
                };
            };
        };
        responses: {
            /** @description The product */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "product",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "status": "draft",
                     *       "tags": [
                     *         "summer"
                     *       ],
                     *       "metadata": {},
                     *       "images": [
                     *         {
                     *           "id": "id",
                     *           "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *           "alt": "A blue linen shirt, front"
                     *         }
                     *       ],
                     *       "options": [
                     *         {
                     *           "name": "Jane Doe",
                     *           "values": [
                     *             "Blue"
                     *           ]
                     *         }
                     *       ],
                     *       "variants": [
                     *         {
                     *           "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "variant",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "option_values": {},
                     *           "price": 2500,
                     *           "compare_at_price": 2500,
                     *           "currency": "USD",
                     *           "weight_grams": 2500,
                     *           "track_inventory": true,
                     *           "allow_backorder": true,
                     *           "position": 1,
                     *           "availability": {
                     *             "in_stock": true,
                     *             "available": 2
                     *           },
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "price_range": {
                     *         "min": 2500,
                     *         "max": 2500,
                     *         "currency": "USD"
                     *       },
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Product"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createVariant: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "sku": "SHIRT-M-BLUE",
                 *       "price": 2500,
                 *       "compare_at_price": 2500,
                 *       "option_values": {},
                 *       "weight_grams": 2500,
                 *       "track_inventory": true,
                 *       "allow_backorder": true,
                 *       "title": "Linen shirt"
                 *     }
                 */
                "application/json": {
                    sku: string;
                    /** @description In minor units of the store currency. */
                    price: number;
                    compare_at_price?: number | null;
                    option_values?: {
                        [key: string]: string;
                    };
                    weight_grams?: number;
                    track_inventory?: boolean;
                    allow_backorder?: boolean;
                    title?: string;
                };
            };
        };
        responses: {
            /** @description The variant */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "variant",
                     *       "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "sku": "SHIRT-M-BLUE",
                     *       "title": "Linen shirt",
                     *       "option_values": {},
                     *       "price": 2500,
                     *       "compare_at_price": 2500,
                     *       "currency": "USD",
                     *       "weight_grams": 2500,
                     *       "track_inventory": true,
                     *       "allow_backorder": true,
                     *       "position": 1,
                     *       "availability": {
                     *         "in_stock": true,
                     *         "available": 2
                     *       },
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Variant"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getVariantBySku: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                sku: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The variant */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "variant",
                     *       "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "sku": "SHIRT-M-BLUE",
                     *       "title": "Linen shirt",
                     *       "option_values": {},
                     *       "price": 2500,
                     *       "compare_at_price": 2500,
                     *       "currency": "USD",
                     *       "weight_grams": 2500,
                     *       "track_inventory": true,
                     *       "allow_backorder": true,
                     *       "position": 1,
                     *       "availability": {
                     *         "in_stock": true,
                     *         "available": 2
                     *       },
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Variant"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getVariant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The variant */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "variant",
                     *       "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "sku": "SHIRT-M-BLUE",
                     *       "title": "Linen shirt",
                     *       "option_values": {},
                     *       "price": 2500,
                     *       "compare_at_price": 2500,
                     *       "currency": "USD",
                     *       "weight_grams": 2500,
                     *       "track_inventory": true,
                     *       "allow_backorder": true,
                     *       "position": 1,
                     *       "availability": {
                     *         "in_stock": true,
                     *         "available": 2
                     *       },
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Variant"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteVariant: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateVariant: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "version": 3,
                 *       "sku": "SHIRT-M-BLUE",
                 *       "price": 2500,
                 *       "compare_at_price": 2500,
                 *       "option_values": {},
                 *       "weight_grams": 2500,
                 *       "track_inventory": true,
                 *       "allow_backorder": true,
                 *       "title": "Linen shirt"
                 *     }
                 */
                "application/json": {
                    /** @description The product's version, checked when sent (or `If-Match`). */
                    version?: number;
                    sku?: string;
                    price?: number;
                    compare_at_price?: number | null;
                    option_values?: {
                        [key: string]: string;
                    };
                    weight_grams?: number;
                    track_inventory?: boolean;
                    allow_backorder?: boolean;
                    title?: string;
                };
            };
        };
        responses: {
            /** @description The variant */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "variant",
                     *       "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "sku": "SHIRT-M-BLUE",
                     *       "title": "Linen shirt",
                     *       "option_values": {},
                     *       "price": 2500,
                     *       "compare_at_price": 2500,
                     *       "currency": "USD",
                     *       "weight_grams": 2500,
                     *       "track_inventory": true,
                     *       "allow_backorder": true,
                     *       "position": 1,
                     *       "availability": {
                     *         "in_stock": true,
                     *         "available": 2
                     *       },
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Variant"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listCollections: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Collections in id order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "coll_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "collection",
                     *           "title": "Linen shirt",
                     *           "slug": "linen-shirt",
                     *           "description": "Breathable linen, cut for summer.",
                     *           "metadata": {},
                     *           "version": 3,
                     *           "created_at": "2026-03-14T15:09:26.000Z",
                     *           "updated_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": components["schemas"]["CollectionList"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createCollection: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "title": "Linen shirt",
                 *       "slug": "linen-shirt",
                 *       "description": "Breathable linen, cut for summer.",
                 *       "metadata": {},
                 *       "product_ids": [
                 *         "prod_01jb8x6k2m3n4p5q6r7s8t9v0w"
                 *       ]
                 *     }
                 */
                "application/json": {
                    title: string;
                    slug?: string;
                    description?: string;
                    /** @description String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys. */
                    metadata?: {
                        [key: string]: string;
                    };
                    product_ids?: string[];
                };
            };
        };
        responses: {
            /** @description The collection */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "coll_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "collection",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "metadata": {},
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCollection: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description A collection id (`coll_…`) or its slug. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The collection and a page of products */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "coll_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "collection",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "metadata": {},
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z",
                     *       "products": {
                     *         "object": "list",
                     *         "data": [
                     *           {
                     *             "id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "object": "product",
                     *             "title": "Linen shirt",
                     *             "slug": "linen-shirt",
                     *             "description": "Breathable linen, cut for summer.",
                     *             "status": "draft",
                     *             "tags": [
                     *               "summer"
                     *             ],
                     *             "metadata": {},
                     *             "images": [
                     *               {
                     *                 "id": "id",
                     *                 "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *                 "alt": "A blue linen shirt, front"
                     *               }
                     *             ],
                     *             "options": [
                     *               {
                     *                 "name": "Jane Doe",
                     *                 "values": [
                     *                   "Blue"
                     *                 ]
                     *               }
                     *             ],
                     *             "variants": [
                     *               {
                     *                 "id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *                 "object": "variant",
                     *                 "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *                 "sku": "SHIRT-M-BLUE",
                     *                 "title": "Linen shirt",
                     *                 "option_values": {},
                     *                 "price": 2500,
                     *                 "compare_at_price": 2500,
                     *                 "currency": "USD",
                     *                 "weight_grams": 2500,
                     *                 "track_inventory": true,
                     *                 "allow_backorder": true,
                     *                 "position": 1,
                     *                 "availability": {
                     *                   "in_stock": true,
                     *                   "available": 2
                     *                 },
                     *                 "created_at": "2026-03-14T15:09:26.000Z",
                     *                 "updated_at": "2026-03-14T15:09:26.000Z"
                     *               }
                     *             ],
                     *             "price_range": {
                     *               "min": 2500,
                     *               "max": 2500,
                     *               "currency": "USD"
                     *             },
                     *             "version": 3,
                     *             "created_at": "2026-03-14T15:09:26.000Z",
                     *             "updated_at": "2026-03-14T15:09:26.000Z"
                     *           }
                     *         ],
                     *         "has_more": false,
                     *         "next_cursor": "eyJ2IjpbIjAxIl19"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["CollectionWithProducts"];
                };
            };
            /** @description Not modified (the `If-None-Match` ETag matches) */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    "Cache-Control": components["headers"]["Cache-Control"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteCollection: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "id",
                     *       "object": "list",
                     *       "deleted": true
                     *     }
                     */
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateCollection: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "version": 3,
                 *       "title": "Linen shirt",
                 *       "slug": "linen-shirt",
                 *       "description": "Breathable linen, cut for summer.",
                 *       "metadata": {}
                 *     }
                 */
                "application/json": {
                    /** @description The version you read; or send `If-Match`. Required. */
                    version?: number;
                    title?: string;
                    slug?: string;
                    description?: string;
                    /** @description String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys. */
                    metadata?: {
                        [key: string]: string;
                    };
                };
            };
        };
        responses: {
            /** @description The collection */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "coll_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "collection",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "metadata": {},
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setCollectionProducts: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version you read, e.g. `"3"` (instead of `version` in the body), or the product's `ETag`. */
                "if-match"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "product_ids": [
                 *         "prod_01jb8x6k2m3n4p5q6r7s8t9v0w"
                 *       ],
                 *       "version": 3
                 *     }
                 */
                "application/json": {
                    product_ids: string[];
                    version?: number;
                };
            };
        };
        responses: {
            /** @description The collection */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "coll_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "collection",
                     *       "title": "Linen shirt",
                     *       "slug": "linen-shirt",
                     *       "description": "Breathable linen, cut for summer.",
                     *       "metadata": {},
                     *       "version": 3,
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "updated_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Collection"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Version conflict or slug/SKU taken */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    searchProducts: {
        parameters: {
            query?: {
                /** @description Words to find, ranked title > tags > description. Misspelt words are matched to similar words of the catalog (`query.corrected` says which); the last word also matches as a prefix unless the query ends with a space. */
                q?: string;
                /** @description Only products in this collection. */
                collection?: string;
                /** @description Only products with a variant priced at least this (minor units). */
                price_min?: string;
                /** @description Only products with a variant priced at most this (minor units). */
                price_max?: string;
                /** @description Option filter, `Name:Value` pairs separated by commas, e.g. `Color:Red,Size:M`. Names and values match exactly (as the `facets.options` keys). The same name twice accepts either value (`Color:Red,Color:Blue`). All names, the price range and `in_stock` must hold on one and the same variant. */
                options?: string;
                /** @description `true`: only products with a sellable variant (stock on hand not committed, untracked, or backorder allowed). `false` or absent: no stock filter. */
                in_stock?: "true" | "false";
                /** @description Default `relevance` with `q`, `newest` without (relevance without `q` is newest). Prices sort by the cheapest variant. */
                sort?: "relevance" | "price_asc" | "price_desc" | "newest";
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Matching products, with facets */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "id",
                     *           "object": "product_summary",
                     *           "title": "Linen shirt",
                     *           "slug": "linen-shirt",
                     *           "price_range": {
                     *             "min": 2500,
                     *             "max": 2500,
                     *             "currency": "USD"
                     *           },
                     *           "tags": [
                     *             "summer"
                     *           ],
                     *           "image": {
                     *             "id": "id",
                     *             "url": "https://shop.example.com/images/linen-shirt.jpg",
                     *             "alt": "A blue linen shirt, front"
                     *           },
                     *           "in_stock": true,
                     *           "score": 2500
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19",
                     *       "facets": {
                     *         "total": 2500,
                     *         "exhaustive": true,
                     *         "collections": [
                     *           {
                     *             "id": "id",
                     *             "title": "Linen shirt",
                     *             "count": 1
                     *           }
                     *         ],
                     *         "options": {
                     *           "Color": {
                     *             "Red": 3
                     *           }
                     *         },
                     *         "price": {
                     *           "min": 2500,
                     *           "max": 2500,
                     *           "buckets": [
                     *             {
                     *               "min": 2500,
                     *               "max": 2500,
                     *               "count": 1
                     *             }
                     *           ]
                     *         },
                     *         "in_stock": 2500
                     *       },
                     *       "query": {
                     *         "q": "linen",
                     *         "corrected": [
                     *           {
                     *             "word": "linen",
                     *             "replacements": [
                     *               "linen"
                     *             ]
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ProductSearchResult"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getInventoryLevel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stock level */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "inventory_level",
                     *       "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "on_hand": 2,
                     *       "committed": 2,
                     *       "held": 2,
                     *       "available": 2
                     *     }
                     */
                    "application/json": components["schemas"]["InventoryLevel"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setInventoryLevel: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "on_hand": 2
                 *     }
                 */
                "application/json": {
                    on_hand: number;
                };
            };
        };
        responses: {
            /** @description The stock level */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "inventory_level",
                     *       "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "on_hand": 2,
                     *       "committed": 2,
                     *       "held": 2,
                     *       "available": 2
                     *     }
                     */
                    "application/json": components["schemas"]["InventoryLevel"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (an `Idempotency-Key` still in flight: retry after `Retry-After`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    adjustInventory: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "delta": 2,
                 *       "note": "Left at the front desk"
                 *     }
                 */
                "application/json": {
                    delta: number;
                    note?: string;
                };
            };
        };
        responses: {
            /** @description The stock level */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "inventory_level",
                     *       "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "on_hand": 2,
                     *       "committed": 2,
                     *       "held": 2,
                     *       "available": 2
                     *     }
                     */
                    "application/json": components["schemas"]["InventoryLevel"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock on hand for the removal (`INSUFFICIENT_STOCK`) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listInventoryMovements: {
        parameters: {
            query?: {
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Movements */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "mov_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "inventory_movement",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "delta_on_hand": 2,
                     *           "delta_committed": 2,
                     *           "reason": "set",
                     *           "reference": "ch_3Pq9xk2m7v1c8b4n",
                     *           "note": "Left at the front desk",
                     *           "created_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["InventoryMovement"][];
                        has_more: boolean;
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createCart: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "currency": "USD",
                 *       "email": "shopper@example.com",
                 *       "lines": [
                 *         {
                 *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                 *           "quantity": 1
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": {
                    /** @enum {string} */
                    currency?: "USD" | "EUR" | "GBP" | "CAD" | "AUD" | "NZD" | "CHF" | "SEK" | "NOK" | "DKK" | "PLN" | "CZK" | "HUF" | "MXN" | "BRL" | "INR" | "CNY" | "HKD" | "SGD" | "ZAR" | "TRY" | "ILS" | "AED" | "SAR" | "JPY" | "KRW" | "CLP" | "VND" | "ISK" | "UGX" | "KWD" | "BHD" | "OMR" | "JOD" | "TND";
                    /** Format: email */
                    email?: string;
                    lines?: {
                        variant_id: string;
                        quantity: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description The new cart and its token */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getCart: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    addCartLine: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                 *       "quantity": 2
                 *     }
                 */
                "application/json": {
                    variant_id: string;
                    /** @default 1 */
                    quantity?: number;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    removeCartLine: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateCartLine: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                variant_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "quantity": 2,
                 *       "cart_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl"
                 *     }
                 */
                "application/json": {
                    quantity: number;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    applyCartCoupon: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "code": "SUMMER10",
                 *       "cart_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl"
                 *     }
                 */
                "application/json": {
                    code: string;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    removeCartCoupon: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setCartEmail: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "email": "shopper@example.com",
                 *       "cart_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl"
                 *     }
                 */
                "application/json": {
                    /** Format: email */
                    email: string | null;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setCartShippingAddress: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "line1": "350 Fifth Avenue",
                 *       "line2": "Floor 4",
                 *       "city": "New York",
                 *       "region": "NY",
                 *       "postal_code": "10118",
                 *       "country": "US",
                 *       "phone": "+1 212 736 3100"
                 *     }
                 */
                "application/json": {
                    name?: string;
                    line1?: string;
                    line2?: string;
                    city?: string;
                    region?: string;
                    postal_code?: string;
                    country: string;
                    phone?: string;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setCartBillingAddress: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Jane Doe",
                 *       "line1": "350 Fifth Avenue",
                 *       "line2": "Floor 4",
                 *       "city": "New York",
                 *       "region": "NY",
                 *       "postal_code": "10118",
                 *       "country": "US",
                 *       "phone": "+1 212 736 3100"
                 *     }
                 */
                "application/json": {
                    name?: string;
                    line1?: string;
                    line2?: string;
                    city?: string;
                    region?: string;
                    postal_code?: string;
                    country: string;
                    phone?: string;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    setCartShippingRate: {
        parameters: {
            query?: never;
            header?: {
                /** @description The cart token from the previous cart response. */
                "x-cart-token"?: string;
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "shipping_rate_id": "shr_01jb8x6k2m3n4p5q6r7s8t9v0w",
                 *       "cart_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl"
                 *     }
                 */
                "application/json": {
                    shipping_rate_id: string;
                    /** @description The cart token, when it cannot be sent in the `X-Cart-Token` header. */
                    cart_token?: string;
                };
            };
        };
        responses: {
            /** @description The re-priced cart and its new token */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "cart",
                     *       "id": "cart_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                     *       "currency": "USD",
                     *       "lines": [
                     *         {
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_slug": "linen-shirt",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "title": "Linen shirt",
                     *           "product_title": "Linen shirt",
                     *           "variant_title": "M / Blue",
                     *           "option_values": {},
                     *           "quantity": 2,
                     *           "unit_price": 2500,
                     *           "compare_at_price": 2500,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500,
                     *           "available": true
                     *         }
                     *       ],
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "tax_inclusive": true,
                     *       "coupon": {
                     *         "code": "SUMMER10",
                     *         "applied": true,
                     *         "reason": "requested_by_customer"
                     *       },
                     *       "email": "shopper@example.com",
                     *       "shipping_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "billing_address": {
                     *         "name": "Jane Doe",
                     *         "line1": "350 Fifth Avenue",
                     *         "line2": "Floor 4",
                     *         "city": "New York",
                     *         "region": "NY",
                     *         "postal_code": "10118",
                     *         "country": "US",
                     *         "phone": "+1 212 736 3100"
                     *       },
                     *       "shipping_options": [
                     *         {
                     *           "id": "id",
                     *           "name": "Jane Doe",
                     *           "amount": 2500
                     *         }
                     *       ],
                     *       "shipping": {
                     *         "id": "id",
                     *         "name": "Jane Doe",
                     *         "amount": 2500
                     *       },
                     *       "expires_at": "2026-03-14T15:09:26.000Z",
                     *       "problems": [
                     *         {
                     *           "code": "SUMMER10",
                     *           "message": "The card was declined.",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Cart"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not enough stock, or the variant is not for sale */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listOrders: {
        parameters: {
            query?: {
                status?: "pending" | "paid" | "fulfilled" | "completed" | "cancelled";
                email?: string;
                created_from?: string;
                created_to?: string;
                limit?: number;
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Orders */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "object": "list",
                     *       "data": [
                     *         {
                     *           "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "object": "order",
                     *           "livemode": false,
                     *           "status": "paid",
                     *           "payment_status": "paid",
                     *           "fulfillment_status": "unfulfilled",
                     *           "currency": "USD",
                     *           "email": "shopper@example.com",
                     *           "subtotal": 2500,
                     *           "discount_total": 250,
                     *           "shipping_total": 2500,
                     *           "tax_total": 2500,
                     *           "total": 2500,
                     *           "lines": [
                     *             {
                     *               "object": "order_line",
                     *               "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *               "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *               "sku": "SHIRT-M-BLUE",
                     *               "product_title": "Linen shirt",
                     *               "title": "Linen shirt",
                     *               "unit_price": 2500,
                     *               "quantity": 2,
                     *               "subtotal": 2500,
                     *               "discount": 250,
                     *               "tax": 2500,
                     *               "total": 2500
                     *             }
                     *           ],
                     *           "created_at": "2026-03-14T15:09:26.000Z"
                     *         }
                     *       ],
                     *       "has_more": false,
                     *       "next_cursor": "eyJ2IjpbIjAxIl19"
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        object: "list";
                        data: components["schemas"]["Order"][];
                        has_more: boolean;
                        next_cursor: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOrder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "order",
                     *       "livemode": false,
                     *       "status": "paid",
                     *       "payment_status": "paid",
                     *       "fulfillment_status": "unfulfilled",
                     *       "currency": "USD",
                     *       "email": "shopper@example.com",
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "lines": [
                     *         {
                     *           "object": "order_line",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "product_title": "Linen shirt",
                     *           "title": "Linen shirt",
                     *           "unit_price": 2500,
                     *           "quantity": 2,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500
                     *         }
                     *       ],
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "events": [
                     *         {
                     *           "id": "id",
                     *           "type": "payment_error"
                     *         }
                     *       ],
                     *       "payments": [
                     *         {
                     *           "id": "id",
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "refunds": [
                     *         {
                     *           "id": "id",
                     *           "amount": 2500,
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "fulfillments": [
                     *         {
                     *           "id": "id",
                     *           "carrier": "UPS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["OrderDetail"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPublicOrder: {
        parameters: {
            query?: never;
            header?: {
                "x-order-secret"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "order",
                     *       "livemode": false,
                     *       "status": "paid",
                     *       "payment_status": "paid",
                     *       "fulfillment_status": "unfulfilled",
                     *       "currency": "USD",
                     *       "email": "shopper@example.com",
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "lines": [
                     *         {
                     *           "object": "order_line",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "product_title": "Linen shirt",
                     *           "title": "Linen shirt",
                     *           "unit_price": 2500,
                     *           "quantity": 2,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500
                     *         }
                     *       ],
                     *       "created_at": "2026-03-14T15:09:26.000Z"
                     *     }
                     */
                    "application/json": components["schemas"]["Order"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    fulfillOrder: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "carrier": "UPS",
                 *       "tracking_number": "1Z999AA10123456784",
                 *       "tracking_url": "https://shop.example.com/images/linen-shirt.jpg"
                 *     }
                 */
                "application/json": {
                    carrier: string;
                    tracking_number: string;
                    /** Format: uri */
                    tracking_url?: string;
                };
            };
        };
        responses: {
            /** @description The fulfilled order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "order",
                     *       "livemode": false,
                     *       "status": "paid",
                     *       "payment_status": "paid",
                     *       "fulfillment_status": "unfulfilled",
                     *       "currency": "USD",
                     *       "email": "shopper@example.com",
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "lines": [
                     *         {
                     *           "object": "order_line",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "product_title": "Linen shirt",
                     *           "title": "Linen shirt",
                     *           "unit_price": 2500,
                     *           "quantity": 2,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500
                     *         }
                     *       ],
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "events": [
                     *         {
                     *           "id": "id",
                     *           "type": "payment_error"
                     *         }
                     *       ],
                     *       "payments": [
                     *         {
                     *           "id": "id",
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "refunds": [
                     *         {
                     *           "id": "id",
                     *           "amount": 2500,
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "fulfillments": [
                     *         {
                     *           "id": "id",
                     *           "carrier": "UPS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["OrderDetail"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (state or amount) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    cancelOrder: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                /**
                 * @example {
                 *       "reason": "requested_by_customer"
                 *     }
                 */
                "application/json": {
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The cancelled order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "order",
                     *       "livemode": false,
                     *       "status": "paid",
                     *       "payment_status": "paid",
                     *       "fulfillment_status": "unfulfilled",
                     *       "currency": "USD",
                     *       "email": "shopper@example.com",
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "lines": [
                     *         {
                     *           "object": "order_line",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "product_title": "Linen shirt",
                     *           "title": "Linen shirt",
                     *           "unit_price": 2500,
                     *           "quantity": 2,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500
                     *         }
                     *       ],
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "events": [
                     *         {
                     *           "id": "id",
                     *           "type": "payment_error"
                     *         }
                     *       ],
                     *       "payments": [
                     *         {
                     *           "id": "id",
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "refunds": [
                     *         {
                     *           "id": "id",
                     *           "amount": 2500,
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "fulfillments": [
                     *         {
                     *           "id": "id",
                     *           "carrier": "UPS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["OrderDetail"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (state or amount) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    refundOrder: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "amount": 2500,
                 *       "reason": "requested_by_customer"
                 *     }
                 */
                "application/json": {
                    amount: number;
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description The refund and the order */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "refund": {
                     *         "id": "ref_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "object": "refund",
                     *         "amount": 2500,
                     *         "status": "active"
                     *       },
                     *       "order": {
                     *         "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "object": "order",
                     *         "livemode": false,
                     *         "status": "paid",
                     *         "payment_status": "paid",
                     *         "fulfillment_status": "unfulfilled",
                     *         "currency": "USD",
                     *         "email": "shopper@example.com",
                     *         "subtotal": 2500,
                     *         "discount_total": 250,
                     *         "shipping_total": 2500,
                     *         "tax_total": 2500,
                     *         "total": 2500,
                     *         "lines": [
                     *           {
                     *             "object": "order_line",
                     *             "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "sku": "SHIRT-M-BLUE",
                     *             "product_title": "Linen shirt",
                     *             "title": "Linen shirt",
                     *             "unit_price": 2500,
                     *             "quantity": 2,
                     *             "subtotal": 2500,
                     *             "discount": 250,
                     *             "tax": 2500,
                     *             "total": 2500
                     *           }
                     *         ],
                     *         "created_at": "2026-03-14T15:09:26.000Z",
                     *         "events": [
                     *           {
                     *             "id": "id",
                     *             "type": "payment_error"
                     *           }
                     *         ],
                     *         "payments": [
                     *           {
                     *             "id": "id",
                     *             "status": "active"
                     *           }
                     *         ],
                     *         "refunds": [
                     *           {
                     *             "id": "id",
                     *             "amount": 2500,
                     *             "status": "active"
                     *           }
                     *         ],
                     *         "fulfillments": [
                     *           {
                     *             "id": "id",
                     *             "carrier": "UPS"
                     *           }
                     *         ]
                     *       }
                     *     }
                     */
                    "application/json": {
                        refund: components["schemas"]["Refund"];
                        order: components["schemas"]["OrderDetail"];
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (state or amount) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    completeOrder: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The completed order */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "object": "order",
                     *       "livemode": false,
                     *       "status": "paid",
                     *       "payment_status": "paid",
                     *       "fulfillment_status": "unfulfilled",
                     *       "currency": "USD",
                     *       "email": "shopper@example.com",
                     *       "subtotal": 2500,
                     *       "discount_total": 250,
                     *       "shipping_total": 2500,
                     *       "tax_total": 2500,
                     *       "total": 2500,
                     *       "lines": [
                     *         {
                     *           "object": "order_line",
                     *           "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *           "sku": "SHIRT-M-BLUE",
                     *           "product_title": "Linen shirt",
                     *           "title": "Linen shirt",
                     *           "unit_price": 2500,
                     *           "quantity": 2,
                     *           "subtotal": 2500,
                     *           "discount": 250,
                     *           "tax": 2500,
                     *           "total": 2500
                     *         }
                     *       ],
                     *       "created_at": "2026-03-14T15:09:26.000Z",
                     *       "events": [
                     *         {
                     *           "id": "id",
                     *           "type": "payment_error"
                     *         }
                     *       ],
                     *       "payments": [
                     *         {
                     *           "id": "id",
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "refunds": [
                     *         {
                     *           "id": "id",
                     *           "amount": 2500,
                     *           "status": "active"
                     *         }
                     *       ],
                     *       "fulfillments": [
                     *         {
                     *           "id": "id",
                     *           "carrier": "UPS"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["OrderDetail"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Conflict (state or amount) */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createCheckout: {
        parameters: {
            query?: never;
            header: {
                /**
                 * @description Makes the request safe to retry: the same key and request answer the stored response (with `Idempotent-Replayed: true`); a different request with the key is `422 IDEMPOTENCY_KEY_REUSED`; while the first is in flight, `409 IDEMPOTENCY_KEY_IN_USE`. Kept 24 h per API key. Required: a checkout must never be charged twice.
                 * @example a3f1c2e4-7b9d-4f0a-9c1e-2d3b4a5c6d7e
                 */
                "Idempotency-Key": components["parameters"]["IdempotencyKeyRequired"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "cart_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJjaWQiOiJjYXJ0XzAxIn0.c2lnbmF0dXJl",
                 *       "payment": {
                 *         "card": {
                 *           "number": "4242424242424242",
                 *           "exp_month": 12,
                 *           "exp_year": 2030,
                 *           "cvc": "123"
                 *         }
                 *       },
                 *       "email": "shopper@example.com"
                 *     }
                 */
                "application/json": {
                    cart_token: string;
                    payment: {
                        card?: {
                            number: string;
                            exp_month: number;
                            exp_year: number;
                            cvc: string;
                        };
                        payment_method?: string;
                    };
                    /** Format: email */
                    email?: string;
                };
            };
        };
        responses: {
            /** @description The paid order and its secret */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "order": {
                     *         "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "object": "order",
                     *         "livemode": false,
                     *         "status": "paid",
                     *         "payment_status": "paid",
                     *         "fulfillment_status": "unfulfilled",
                     *         "currency": "USD",
                     *         "email": "shopper@example.com",
                     *         "subtotal": 2500,
                     *         "discount_total": 250,
                     *         "shipping_total": 2500,
                     *         "tax_total": 2500,
                     *         "total": 2500,
                     *         "lines": [
                     *           {
                     *             "object": "order_line",
                     *             "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "sku": "SHIRT-M-BLUE",
                     *             "product_title": "Linen shirt",
                     *             "title": "Linen shirt",
                     *             "unit_price": 2500,
                     *             "quantity": 2,
                     *             "subtotal": 2500,
                     *             "discount": 250,
                     *             "tax": 2500,
                     *             "total": 2500
                     *           }
                     *         ],
                     *         "created_at": "2026-03-14T15:09:26.000Z"
                     *       },
                     *       "order_secret": "os_3q9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9"
                     *     }
                     */
                    "application/json": components["schemas"]["CheckoutResult"];
                };
            };
            /** @description The pending order and its secret; payment outcome not known yet */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "order": {
                     *         "id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "object": "order",
                     *         "livemode": false,
                     *         "status": "paid",
                     *         "payment_status": "paid",
                     *         "fulfillment_status": "unfulfilled",
                     *         "currency": "USD",
                     *         "email": "shopper@example.com",
                     *         "subtotal": 2500,
                     *         "discount_total": 250,
                     *         "shipping_total": 2500,
                     *         "tax_total": 2500,
                     *         "total": 2500,
                     *         "lines": [
                     *           {
                     *             "object": "order_line",
                     *             "variant_id": "var_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "product_id": "prod_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *             "sku": "SHIRT-M-BLUE",
                     *             "product_title": "Linen shirt",
                     *             "title": "Linen shirt",
                     *             "unit_price": 2500,
                     *             "quantity": 2,
                     *             "subtotal": 2500,
                     *             "discount": 250,
                     *             "tax": 2500,
                     *             "total": 2500
                     *           }
                     *         ],
                     *         "created_at": "2026-03-14T15:09:26.000Z"
                     *       },
                     *       "order_secret": "os_3q9xk2m7v1c8b4n6z0p5r2t8y1w4e7u9"
                     *     }
                     */
                    "application/json": components["schemas"]["CheckoutResult"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Payment declined or failed; the stock was released */
            402: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Insufficient stock, unavailable variant or coupon */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The `Idempotency-Key` was used with a different request */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Gateway unreachable; retry with the same Idempotency-Key */
            502: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    receiveGatewayWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                gateway: "test" | "stripe";
                store_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "received": true,
                     *       "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *       "status": "active"
                     *     }
                     */
                    "application/json": {
                        /** @enum {boolean} */
                        received: true;
                        order_id: string | null;
                        status: string | null;
                    };
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid API key */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Key not allowed for this route */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limited */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unexpected error; it is logged with the request id */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Shutting down or database unreachable; retry after `Retry-After` */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    traceparent: components["headers"]["traceparent"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "type": "payment_error",
                     *         "code": "PAYMENT_DECLINED",
                     *         "message": "The card was declined.",
                     *         "decline_code": "card_declined",
                     *         "order_id": "ord_01jb8x6k2m3n4p5q6r7s8t9v0w",
                     *         "request_id": "req_5f2c9a1e7b3d4c6a8e0f1a2b"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
