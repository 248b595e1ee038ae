import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../../shared/db.ts';
import type { QueryWord, WordMatch } from './search.rules.ts';

/*
 * Search is a read model over the catalog and inventory tables: it reads them in SQL by name and
 * never writes them. `product.search_tsv` and `search_term` are kept by triggers (migration
 * `search_index`), and so are the facet columns `product.facet_options` and `product.in_stock`
 * (migration `search_facets`): facets are counted from the matching product rows, never from their variants.
 */

/** Between an option's name and value in `product.facet_options`. */
const FACET_SEPARATOR = '\u001f';
export const facetOption = (name: string, value: string) => `${name}${FACET_SEPARATOR}${value}`;

/** ts_rank weights for D, C, B, A: title (A) > tags (B) > description (C). */
const RANK_WEIGHTS = '{0.05,0.2,0.4,1.0}';
/** Similarity a vocabulary word needs to stand in for an unknown query word. */
const MIN_SIMILARITY = 0.3;
/** Corrections kept per unknown word. */
const MAX_ALTERNATIVES = 3;
/** Values listed per facet (collections). */
const MAX_FACET_VALUES = 50;

/** What the store's vocabulary says about one word (a `WordMatch` without the query's `typing`). */
export type WordLookup = Omit<WordMatch, 'typing'>;

/**
 * Looks words up in the store's vocabulary, in one statement: each word's lexeme, whether products use it,
 * and for unknown words the most similar known words (trigram similarity, GIN-indexed `%`).
 * `activeOnly` limits the vocabulary to words of active products, so drafts never leak through
 * corrections. One result per word, in order.
 */
export async function lookUpWords(
  db: Executor,
  args: { storeId: string; words: string[]; activeOnly: boolean },
): Promise<WordLookup[]> {
  if (args.words.length === 0) return [];
  const list = args.words;
  const visible = args.activeOnly ? sql`t.active_docs > 0` : sql`t.docs > 0`;
  const found = await rows<{
    word: string;
    lexeme: string | null;
    known: boolean;
    alternatives: Array<{ word: string; lexeme: string }> | null;
  }>(
    db,
    sql`
      select q.word, l.lexeme, k.known, a.alternatives
      from json_array_elements_text(${JSON.stringify(list)}::json) with ordinality as q(word, ord)
      cross join lateral (select (tsvector_to_array(to_tsvector('english'::regconfig, q.word)))[1] as lexeme) as l
      cross join lateral (
        select l.lexeme is not null and exists (
          select 1 from search_term t where t.store_id = ${args.storeId} and t.lexeme = l.lexeme and ${visible}
        ) as known
      ) as k
      left join lateral (
        select json_agg(json_build_object('word', s.word, 'lexeme', s.lexeme) order by s.sim desc, s.docs desc, s.word) as alternatives
        from (
          select t.word, t.lexeme, t.docs, similarity(t.word, q.word) as sim
          from search_term t
          where not k.known and l.lexeme is not null and length(q.word) >= 3 and q.word !~ '^[0-9]+$'
            and t.word % q.word and t.store_id = ${args.storeId} and ${visible}
            and similarity(t.word, q.word) >= ${MIN_SIMILARITY}
          order by sim desc, t.docs desc, t.word
          limit ${MAX_ALTERNATIVES}
        ) as s
      ) as a on true
      order by q.ord`,
  );
  return found.map((r) => ({
    word: r.word,
    lexeme: r.lexeme,
    known: r.known,
    alternatives: r.alternatives ?? [],
  }));
}

/** Looks every query word up in the store's vocabulary (see `lookUpWords`). */
export async function matchWords(
  db: Executor,
  args: { storeId: string; words: QueryWord[]; activeOnly: boolean },
): Promise<WordMatch[]> {
  const found = await lookUpWords(db, { ...args, words: args.words.map((w) => w.word) });
  return found.map((r, i) => ({ ...r, typing: args.words[i]!.typing }));
}

export type SearchSort = 'relevance' | 'price_asc' | 'price_desc' | 'newest';

export interface SearchFilters {
  storeId: string;
  activeOnly: boolean;
  /** tsquery text, or null for no text condition. */
  tsquery: string | null;
  collectionId?: string;
  priceMin?: number;
  priceMax?: number;
  /** option name → accepted values; all names must hold on one variant. */
  options?: Map<string, string[]>;
  inStock?: boolean;
}

export type SearchPosition =
  | { kind: 'offset'; offset: number }
  | { kind: 'price'; price: number; id: string }
  | { kind: 'created'; micros: number; id: string };

export interface SearchRow {
  id: string;
  title: string;
  slug: string;
  tags: string[];
  image: { id: string; url: string; alt: string | null } | null;
  price_min: number;
  price_max: number;
  created_micros: number;
  in_stock: boolean;
  score: number | null;
}

export interface FacetRows {
  total: number;
  collections: Array<{ id: string; title: string; count: number }> | null;
  options: Array<{ name: string; value: string; count: number }> | null;
  prices: number[] | null;
  in_stock: number;
}

/** A variant that is sellable now: untracked, backorderable, or with stock on hand not committed. */
const sellable = sql`(not v.track_inventory or v.allow_backorder or exists (
  select 1 from inventory_level il where il.variant_id = v.id and il.on_hand - il.committed > 0))`;

function matchingProducts(f: SearchFilters): SQL {
  const where: SQL[] = [sql`p.store_id = ${f.storeId}`];
  if (f.activeOnly) where.push(sql`p.status = 'active'`);
  if (f.tsquery !== null) where.push(sql`p.search_tsv @@ ${f.tsquery}::tsquery`);
  if (f.collectionId !== undefined) {
    where.push(sql`exists (select 1 from collection_product cp
      where cp.product_id = p.id and cp.collection_id = ${f.collectionId} and cp.store_id = ${f.storeId})`);
  }
  // Price, options and stock must all hold on one variant: "a red one, in stock, under 50". The product's facet
  // columns answer one option or stock alone exactly; they narrow the rest before one variant is checked.
  const onVariant: SQL[] = [];
  const priced: SQL[] = [];
  const wholeRange: SQL[] = [];
  if (f.priceMin !== undefined) {
    where.push(sql`p.price_max >= ${f.priceMin}`);
    priced.push(sql`v.price >= ${f.priceMin}`);
    wholeRange.push(sql`p.price_min >= ${f.priceMin}`);
  }
  if (f.priceMax !== undefined) {
    where.push(sql`p.price_min <= ${f.priceMax}`);
    priced.push(sql`v.price <= ${f.priceMax}`);
    wholeRange.push(sql`p.price_max <= ${f.priceMax}`);
  }
  for (const [name, values] of f.options ?? []) {
    where.push(
      sql`p.facet_options && array[${sql.join(
        values.map((v) => sql`${facetOption(name, v)}`),
        sql`, `,
      )}]::text[]`,
    );
    onVariant.push(
      sql`(v.option_values ->> ${name}) in (${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )})`,
    );
  }
  if (f.inStock) {
    where.push(sql`p.in_stock`);
    onVariant.push(sellable);
  }
  const oneVariant = (conditions: SQL[]) =>
    sql`exists (select 1 from variant v where v.product_id = p.id and v.store_id = ${f.storeId}
      and ${sql.join(conditions, sql` and `)})`;
  if (priced.length > 0 && onVariant.length === 0) {
    // A price range alone: a product whose whole range lies inside it matches without reading its variants.
    where.push(sql`((${sql.join(wholeRange, sql` and `)}) or ${oneVariant(priced)})`);
  } else if (priced.length + onVariant.length > 1) {
    where.push(oneVariant([...priced, ...onVariant]));
  }
  const score =
    f.tsquery !== null
      ? sql`ts_rank(${RANK_WEIGHTS}::float4[], p.search_tsv, ${f.tsquery}::tsquery)`
      : sql`null::float4`;
  return sql`select p.id, p.price_min, p.created_at, p.facet_options, p.collection_ids, p.in_stock, ${score} as score
    from product p where ${sql.join(where, sql` and `)}`;
}

function orderBy(sort: SearchSort, alias: string): SQL {
  const a = sql.raw(alias);
  switch (sort) {
    case 'relevance':
      return sql`${a}.score desc, ${a}.id desc`;
    case 'price_asc':
      return sql`${a}.price_min asc, ${a}.id asc`;
    case 'price_desc':
      return sql`${a}.price_min desc, ${a}.id desc`;
    case 'newest':
      return sql`${a}.created_at desc, ${a}.id desc`;
  }
}

function afterPosition(sort: SearchSort, position: SearchPosition | null): SQL {
  if (position === null || position.kind === 'offset') return sql`true`;
  if (position.kind === 'created') {
    return sql`(m.created_at, m.id) < (timestamptz 'epoch' + ${position.micros} * interval '1 microsecond', ${position.id})`;
  }
  return sort === 'price_desc'
    ? sql`(m.price_min, m.id) < (${position.price}::bigint, ${position.id})`
    : sql`(m.price_min, m.id) > (${position.price}::bigint, ${position.id})`;
}

/**
 * One round trip: the page (by sort order, after the cursor), and facets over the first
 * `facetLimit` matches in sort order (all of them when there are no more).
 */
export async function searchProducts(
  db: Executor,
  args: {
    filters: SearchFilters;
    sort: SearchSort;
    position: SearchPosition | null;
    limit: number;
    facetLimit: number;
  },
): Promise<{ page: SearchRow[]; facets: FacetRows; currency: string }> {
  const { filters: f, sort, position, limit, facetLimit } = args;
  const m = matchingProducts(f);
  const after = afterPosition(sort, position);
  const offset = position?.kind === 'offset' ? position.offset : 0;
  // The first page comes straight from the facet basis: one scan of the matches, not two.
  const firstPage = position === null && limit + 1 <= facetLimit;
  const page = firstPage
    ? sql`select * from basis where rn <= ${limit + 1}`
    : sql`select m.* from m where ${after} order by ${orderBy(sort, 'm')} limit ${limit + 1} offset ${offset}`;

  const result = await rows<{ page: SearchRow[] | null; facets: FacetRows; currency: string | null }>(
    db,
    sql`
      with m as not materialized (${m}),
      basis as materialized (
        select m.*, row_number() over (order by ${orderBy(sort, 'm')}) as rn
        from m order by ${orderBy(sort, 'm')} limit ${facetLimit + 1}),
      fb as (select * from basis where rn <= ${facetLimit}),
      page as (${page})
      select
        (select json_agg(json_build_object(
            'id', p.id, 'title', p.title, 'slug', p.slug, 'tags', p.tags, 'image', p.images -> 0,
            'price_min', p.price_min, 'price_max', p.price_max,
            'created_micros', (extract(epoch from p.created_at) * 1000000)::bigint,
            'in_stock', p.in_stock, 'score', pg.score) order by ${orderBy(sort, 'pg')})
          from page pg join product p on p.id = pg.id) as page,
        json_build_object(
          'total', (select count(*) from basis),
          'collections', (
            select json_agg(json_build_object('id', c.id, 'title', c.title, 'count', x.n) order by x.n desc, c.title, c.id)
            from (
              select e.collection_id, count(*) as n
              from fb b cross join lateral unnest(b.collection_ids) as e(collection_id)
              group by e.collection_id order by n desc, e.collection_id limit ${MAX_FACET_VALUES}
            ) as x join collection c on c.id = x.collection_id and c.store_id = ${f.storeId}),
          'options', (
            select json_agg(json_build_object('name', o.name, 'value', o.value, 'count', o.n) order by o.name, o.n desc, o.value)
            from (
              select split_part(e.o, ${FACET_SEPARATOR}, 1) as name,
                     substr(e.o, strpos(e.o, ${FACET_SEPARATOR}) + 1) as value, count(*) as n
              from fb b cross join lateral unnest(b.facet_options) as e(o)
              group by e.o
            ) as o),
          'prices', (select json_agg(b.price_min) from fb b),
          'in_stock', (select count(*) from fb where fb.in_stock)
        ) as facets,
        (select s.currency from store s where s.id = ${f.storeId}) as currency`,
  );
  const r = result[0]!;
  return { page: r.page ?? [], facets: r.facets, currency: r.currency ?? 'USD' };
}
