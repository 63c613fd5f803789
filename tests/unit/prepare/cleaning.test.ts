import { describe, expect, it } from 'vitest';
import {
  cleaningRules,
  fixWikiArtifacts,
  letterShare,
  mergeShortParagraphs,
  normalizeWhitespace,
  removeUnk,
  removeWikiHeadings,
  splitParagraphs,
} from '../../../src/core/prepare/index.ts';

describe('cleaning rules', () => {
  it('drops wiki heading lines and nothing else', () => {
    const text =
      ' = Title = \n Body = not a heading \n = = Sub = = \n = = = Deep = = = \n== Compact ==\nEnd';
    expect(removeWikiHeadings(text)).toBe(' Body = not a heading \nEnd');
  });

  it('joins WikiText @-@, @.@ and @,@ artifacts', () => {
    expect(fixWikiArtifacts('north @-@ eastern , 1 @,@ 000 and 2 @.@ 5 kg')).toBe(
      'north-eastern , 1,000 and 2.5 kg',
    );
  });

  it('removes <unk>, with brackets or quotes that held nothing else', () => {
    expect(removeUnk('a <unk> lobster ( <unk> ) said " <unk> " and " b "')).toBe(
      'a lobster said and " b "',
    );
    expect(removeUnk('" a " <unk> " b "')).toBe('" a " " b "');
    expect(removeUnk('<unk> start\nline <unk>')).toBe(' start\nline');
  });

  it('normalises whitespace and undoes tokenised punctuation spacing', () => {
    expect(normalizeWhitespace('  It is , in fact ( 24 in ) ; he said " hi there " .  ')).toBe(
      'It is, in fact (24 in); he said "hi there".',
    );
    expect(normalizeWhitespace("the lobster 's claws did n't\t\tmove")).toBe(
      "the lobster's claws didn't move",
    );
    expect(normalizeWhitespace('a\n\n\n\nb \n c')).toBe('a\n\nb\nc');
  });

  it('measures the share of letters among visible characters', () => {
    expect(letterShare('abc 123')).toBe(0.5);
    expect(letterShare('1 – 2 ( 3 )')).toBe(0);
    expect(letterShare('   ')).toBe(1);
    expect(letterShare('Москва')).toBe(1);
  });

  it('runs only the enabled rules, in order, with labels', () => {
    const rules = cleaningRules({
      wikiHeadings: true,
      wikiArtifacts: false,
      unk: 'replace',
      unkReplacement: '[UNK]',
      whitespace: true,
      dropNoisy: true,
      noisyThreshold: 0.6,
    });
    expect(rules.map((r) => r.rule)).toEqual(['wikiHeadings', 'unk', 'whitespace', 'dropNoisy']);
    expect(rules.every((r) => r.label.length > 0)).toBe(true);
    const run = (text: string) => rules.reduce((t, r) => r.apply(t), text);
    expect(run('a <unk> b')).toBe('a [UNK] b');
    expect(run('12 34 ab')).toBe('');
  });
});

describe('paragraphs', () => {
  it('splits at blank lines, and at every line of unwrapped (long-line) text', () => {
    const long = 'x'.repeat(120);
    const text = `first para\nwrapped line\n \nsecond\n\n\n${long}\n${long} two\n\nlast`;
    expect(splitParagraphs(text)).toEqual([
      { index: 0, text: 'first para\nwrapped line' },
      { index: 1, text: 'second' },
      { index: 2, text: long },
      { index: 3, text: `${long} two` },
      { index: 4, text: 'last' },
    ]);
    expect(splitParagraphs('a\r\n\r\nb')).toEqual([
      { index: 0, text: 'a' },
      { index: 1, text: 'b' },
    ]);
  });

  it('merges consecutive short paragraphs until they reach the minimum', () => {
    const paragraphs = ['aaaa', 'bb', 'cccccccc', 'd', 'e'].map((text, index) => ({ index, text }));
    expect(mergeShortParagraphs(paragraphs, 8)).toEqual([
      { first: 0, last: 1, text: 'aaaa\n\nbb' },
      { first: 2, last: 2, text: 'cccccccc' },
      { first: 3, last: 4, text: 'd\n\ne' },
    ]);
  });
});
