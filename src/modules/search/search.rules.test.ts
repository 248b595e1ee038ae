import { describe, expect, it } from 'vitest';
import {
  niceStep,
  parseOptionsFilter,
  planQuery,
  priceBuckets,
  quoteLexeme,
  tokenizeQuery,
  type WordMatch,
} from './search.rules.ts';

const match = (m: Partial<WordMatch> & { word: string }): WordMatch => ({
  typing: false,
  lexeme: m.word,
  known: true,
  alternatives: [],
  ...m,
});

describe('search rules', () => {
  it('tokenizes queries into distinct lower-case words and marks the word being typed', () => {
    expect(tokenizeQuery('Leather  WALLET')).toEqual([
      { word: 'leather', typing: false },
      { word: 'wallet', typing: true },
    ]);
    expect(tokenizeQuery('leather wallet ')).toEqual([
      { word: 'leather', typing: false },
      { word: 'wallet', typing: false },
    ]);
    expect(tokenizeQuery("t-shirt, café's 5 a")).toEqual([
      { word: 'shirt', typing: false },
      { word: 'café', typing: false },
      { word: '5', typing: false },
    ]);
    expect(tokenizeQuery('!!!')).toEqual([]);
    expect(
      tokenizeQuery('a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj'),
    ).toHaveLength(8);
  });

  it('quotes lexemes for tsquery literals', () => {
    expect(quoteLexeme("o'neil")).toBe("'o''neil'");
    expect(quoteLexeme('a\\b')).toBe("'a\\\\b'");
  });

  it('plans AND across words, OR across corrections, prefix for the typed word', () => {
    const plan = planQuery([
      match({
        word: 'leathr',
        lexeme: 'leathr',
        known: false,
        alternatives: [
          { word: 'leather', lexeme: 'leather' },
          { word: 'leathers', lexeme: 'leather' },
        ],
      }),
      match({ word: 'wallets', lexeme: 'wallet', typing: true }),
    ]);
    expect(plan.tsquery).toBe("'leather' & ( 'wallet' | 'wallets':* )");
    expect(plan.corrected).toEqual([{ word: 'leathr', replacements: ['leather'] }]);
  });

  it('ignores stop words, and matches nothing when a word cannot match', () => {
    expect(
      planQuery([match({ word: 'the', lexeme: null, known: false }), match({ word: 'bag' })]).tsquery,
    ).toBe("'bag'");
    expect(planQuery([match({ word: 'the', lexeme: null, known: false })])).toEqual({
      tsquery: null,
      corrected: [],
      searchable: false,
    });
    const none = planQuery([match({ word: 'bag' }), match({ word: 'zzyzx', known: false })]);
    expect(none).toMatchObject({ tsquery: null, searchable: true });
  });

  it('parses option filters', () => {
    expect(parseOptionsFilter('Color:Red,Size:M,Color:Blue')).toEqual(
      new Map([
        ['Color', ['Red', 'Blue']],
        ['Size', ['M']],
      ]),
    );
    expect(parseOptionsFilter('Ratio:16:9')).toEqual(new Map([['Ratio', ['16:9']]]));
    expect(parseOptionsFilter('Color')).toBeNull();
    expect(parseOptionsFilter('Color:')).toBeNull();
    expect(parseOptionsFilter(':Red')).toBeNull();
  });

  it('buckets prices in nice, contiguous, covering steps', () => {
    expect(niceStep(0.5)).toBe(1);
    expect(niceStep(3)).toBe(5);
    expect(niceStep(230)).toBe(250);
    expect(niceStep(501)).toBe(1000);
    expect(priceBuckets([])).toEqual([]);
    expect(priceBuckets([700])).toEqual([{ min: 700, max: 701, count: 1 }]);
    const prices = [99, 1500, 2999, 3000, 12_000, 45_000];
    const b = priceBuckets(prices);
    expect(b.length).toBeLessThanOrEqual(6);
    expect(b.reduce((n, x) => n + x.count, 0)).toBe(prices.length);
    for (let i = 1; i < b.length; i++) expect(b[i]!.min).toBe(b[i - 1]!.max);
    expect(b[0]!.min).toBeLessThanOrEqual(99);
    expect(b[b.length - 1]!.max).toBeGreaterThan(45_000);
  });
});
