/**
 * Pure rules of product search: how a query string becomes words, how the words (and their typo
 * corrections) become one tsquery, how option filters are parsed, and how prices fall into buckets.
 */

/** At most this many words of a query are searched; the rest are ignored. */
export const MAX_QUERY_WORDS = 8;
/** The last word is also matched as a prefix (search as you type) from this length on. */
export const MIN_PREFIX_LENGTH = 3;
/** Words shorter than this are not typo-corrected (trigrams say little about them). */
export const MIN_CORRECTION_LENGTH = 3;

export interface QueryWord {
  /** Lower-cased word as typed. */
  word: string;
  /** True for the last word when the query does not end with a space: the shopper may still be typing it. */
  typing: boolean;
}

/**
 * Splits a query into lower-case words of letters and digits (the same notion of a word as the
 * text search parser's), dropping one-letter words and duplicates.
 */
export function tokenizeQuery(q: string): QueryWord[] {
  const tokens =
    q
      .toLowerCase()
      .normalize('NFC')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const words: string[] = [];
  for (const t of tokens) {
    if (t.length < 2 && !/^\p{N}$/u.test(t)) continue;
    if (t.length > 64 || words.includes(t)) continue;
    words.push(t);
    if (words.length === MAX_QUERY_WORDS) break;
  }
  const endsInWord = /[\p{L}\p{N}]$/u.test(q.normalize('NFC'));
  const lastToken = tokens[tokens.length - 1];
  return words.map((word, i) => ({
    word,
    typing: endsInWord && i === words.length - 1 && word === lastToken?.toLowerCase(),
  }));
}

/** What the vocabulary says about one query word. */
export interface WordMatch {
  word: string;
  typing: boolean;
  /** The word's lexeme under the search configuration; null for stop words. */
  lexeme: string | null;
  /** The lexeme occurs in the store's (visible) products. */
  known: boolean;
  /** Most similar vocabulary words, best first, when the word is not known. */
  alternatives: Array<{ word: string; lexeme: string }>;
}

export interface Correction {
  word: string;
  replacements: string[];
}

export interface PlannedQuery {
  /** tsquery text in the cast syntax (`'a' & ('b' | 'c':*)`), or null when no word can match anything. */
  tsquery: string | null;
  corrected: Correction[];
  /** The query had searchable words (false: only stop words or punctuation). */
  searchable: boolean;
}

/** Quotes a lexeme for a tsquery literal. */
export function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Builds the tsquery: AND across words, OR across the ways one word may match (its own lexeme,
 * its typo corrections, and a prefix for the word being typed). A word that can match nothing
 * makes the whole query match nothing, as AND says.
 */
export function planQuery(matches: WordMatch[]): PlannedQuery {
  const clauses: string[] = [];
  const corrected: Correction[] = [];
  let impossible = false;
  for (const m of matches) {
    const prefix = m.typing && m.word.length >= MIN_PREFIX_LENGTH;
    if (m.lexeme === null && !prefix) continue; // a stop word: ignored, as the indexer ignores it
    const alternatives: string[] = [];
    if (m.known && m.lexeme !== null) {
      alternatives.push(quoteLexeme(m.lexeme));
    } else {
      const replacements: string[] = [];
      const seen = new Set<string>();
      for (const a of m.alternatives) {
        if (seen.has(a.lexeme)) continue;
        seen.add(a.lexeme);
        alternatives.push(quoteLexeme(a.lexeme));
        replacements.push(a.word);
      }
      if (replacements.length > 0) corrected.push({ word: m.word, replacements });
    }
    if (prefix) alternatives.push(`${quoteLexeme(m.word)}:*`);
    if (alternatives.length === 0) {
      impossible = true;
      continue;
    }
    clauses.push(alternatives.length === 1 ? alternatives[0]! : `( ${alternatives.join(' | ')} )`);
  }
  const searchable = clauses.length > 0 || impossible;
  return { tsquery: impossible || clauses.length === 0 ? null : clauses.join(' & '), corrected, searchable };
}

/**
 * Parses `options=Color:Red,Size:M`: pairs separated by commas, name and value by the first colon.
 * The same name twice means either value (`Color:Red,Color:Blue`); different names must all hold
 * on one variant. Returns null when the text is not of that form.
 */
export function parseOptionsFilter(text: string): Map<string, string[]> | null {
  const out = new Map<string, string[]>();
  for (const part of text.split(',')) {
    const i = part.indexOf(':');
    if (i <= 0) return null;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (!name || !value || name.length > 100 || value.length > 100) return null;
    const values = out.get(name) ?? [];
    if (!values.includes(value)) values.push(value);
    out.set(name, values);
  }
  return out.size > 0 ? out : null;
}

export interface PriceBucket {
  /** Inclusive lower bound, minor units. */
  min: number;
  /** Exclusive upper bound, minor units. */
  max: number;
  count: number;
}

/** The smallest "nice" step (1, 2, 2.5 or 5 × 10^k minor units) at least `raw`. */
export function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * pow;
    if (step >= raw && Number.isInteger(step)) return step;
  }
  return 10 * pow;
}

/**
 * Splits prices into at most `maxBuckets` contiguous buckets of one nice width, covering every
 * price; empty buckets are kept so a client can draw a histogram.
 */
export function priceBuckets(prices: number[], maxBuckets = 6): PriceBucket[] {
  if (prices.length === 0) return [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of prices) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  let step = niceStep((hi - lo + 1) / maxBuckets);
  let start = Math.floor(lo / step) * step;
  while (Math.floor((hi - start) / step) + 1 > maxBuckets) {
    step = niceStep(step + 1);
    start = Math.floor(lo / step) * step;
  }
  const n = Math.floor((hi - start) / step) + 1;
  const buckets: PriceBucket[] = Array.from({ length: n }, (_, i) => ({
    min: start + i * step,
    max: start + (i + 1) * step,
    count: 0,
  }));
  for (const p of prices) buckets[Math.floor((p - start) / step)]!.count++;
  return buckets;
}
