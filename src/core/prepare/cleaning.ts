/**
 * Cleaning rules of the data pipeline, each a pure text → text step. A rule that returns an
 * empty (or blank) text removes it.
 */
import { isWikiHeadingLine } from '../chunk/headings.ts';
import {
  DEFAULT_NOISY_THRESHOLD,
  DEFAULT_UNK_REPLACEMENT,
  type CleaningOptions,
} from './options.ts';

export interface CleaningRule {
  rule: string;
  label: string;
  apply(text: string): string;
}

export function removeWikiHeadings(text: string): string {
  return text
    .split('\n')
    .filter((line) => !isWikiHeadingLine(line))
    .join('\n');
}

/** WikiText writes "north-eastern" as "north @-@ eastern", "1,000" as "1 @,@ 000". */
export function fixWikiArtifacts(text: string): string {
  return text.replace(/[^\S\n]?@([-.,])@[^\S\n]?/gu, '$1');
}

/** Number of straight double quotes on the line of `text` before `position`. */
function quotesBefore(text: string, position: number): number {
  let n = 0;
  for (let i = position - 1; i >= 0 && text[i] !== '\n'; i--) if (text[i] === '"') n++;
  return n;
}

/** Removes `<unk>`, and the brackets or quote pairs that held nothing else. */
export function removeUnk(text: string): string {
  return text
    .replace(/[^\S\n]*\([^\S\n]*(?:<unk>[^\S\n]*)+\)/gu, '')
    .replace(/[^\S\n]*"[^\S\n]*(?:<unk>[^\S\n]*)+"/gu, (match, offset: number, whole: string) =>
      // Only a quote that opens (an even number before it) starts a pair that held just <unk>.
      quotesBefore(whole, offset) % 2 === 0 ? '' : match,
    )
    .replace(/[^\S\n]*<unk>/gu, '');
}

/** Straight quotes alternate: an opening one hugs the next word, a closing one the previous. */
function attachQuotes(line: string): string {
  const words: string[] = [];
  let open = true;
  let glueNext = false;
  for (const word of line.split(' ')) {
    const last = words.length - 1;
    if (word === '"' && !open && last >= 0) {
      words[last] += '"';
      glueNext = false;
      open = true;
    } else if (glueNext && last >= 0) {
      words[last] += word;
      glueNext = false;
    } else {
      words.push(word);
      if (word === '"') {
        glueNext = true;
        open = false;
      }
    }
  }
  return words.join(' ');
}

/** Undoes the tokenised spacing of WikiText-like corpora within one line. */
function detokenizeLine(line: string): string {
  return attachQuotes(line)
    .replace(/ ([,.;:!?%)\]}])/gu, '$1')
    .replace(/([([{]) /gu, '$1')
    .replace(/ (n't|'s|'re|'ve|'m|'ll|'d)(?![\p{L}\p{N}])/giu, '$1');
}

/** Collapses spacing, fixes ' , ' style spacing, keeps at most one blank line, trims. */
export function normalizeWhitespace(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => detokenizeLine(line.replace(/[^\S\n]+/gu, ' ').trim()));
  return lines
    .join('\n')
    .replace(/\n{3,}/gu, '\n\n')
    .trim();
}

const LETTER = /\p{L}/u;
const SPACE = /\s/u;

/** Share of non-whitespace characters that are letters (1 for a text with none). */
export function letterShare(text: string): number {
  let letters = 0;
  let visible = 0;
  for (const ch of text) {
    if (SPACE.test(ch)) continue;
    visible++;
    if (LETTER.test(ch)) letters++;
  }
  return visible === 0 ? 1 : letters / visible;
}

/** The enabled cleaning rules, in the order they run. */
export function cleaningRules(options: CleaningOptions): CleaningRule[] {
  const rules: CleaningRule[] = [];
  if (options.wikiHeadings) {
    rules.push({ rule: 'wikiHeadings', label: 'Wiki headings removed', apply: removeWikiHeadings });
  }
  if (options.wikiArtifacts) {
    rules.push({
      rule: 'wikiArtifacts',
      label: 'Wiki @-@ @,@ @.@ joined',
      apply: fixWikiArtifacts,
    });
  }
  if (options.unk === 'remove') {
    rules.push({ rule: 'unk', label: '<unk> removed', apply: removeUnk });
  } else if (options.unk === 'replace') {
    const replacement = options.unkReplacement ?? DEFAULT_UNK_REPLACEMENT;
    rules.push({
      rule: 'unk',
      label: `<unk> replaced by "${replacement}"`,
      apply: (text) => text.replaceAll('<unk>', replacement),
    });
  }
  if (options.whitespace) {
    rules.push({ rule: 'whitespace', label: 'Whitespace normalised', apply: normalizeWhitespace });
  }
  if (options.dropNoisy) {
    const threshold = options.noisyThreshold ?? DEFAULT_NOISY_THRESHOLD;
    rules.push({
      rule: 'dropNoisy',
      label: `Noisy paragraphs dropped (letters < ${Math.round(threshold * 100)} %)`,
      apply: (text) => (letterShare(text) < threshold ? '' : text),
    });
  }
  return rules;
}
