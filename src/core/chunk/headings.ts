/**
 * Heading lines that open a section: Markdown ATX (`# Title` … `###### Title`), Markdown setext
 * (a text line underlined with === or ---), and wiki headings as WikiText writes them
 * (` = Title = `, ` = = Sub = = `) or as MediaWiki does (`== Sub ==`).
 */

const ATX = /^ {0,3}#{1,6}(?:[ \t]|$)/u;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/u;
const WIKI_SPACED = /^[ \t]*(?:=[ \t]+)+[^=\s][^\n]*?(?:[ \t]+=)+[ \t]*$/u;
const WIKI_COMPACT = /^[ \t]*(={1,6})[ \t]*[^=\s][^\n]*?[ \t]*\1[ \t]*$/u;

/** A wiki heading line such as ` = Title = ` or ` = = Sub = = `. */
export function isWikiHeadingLine(line: string): boolean {
  return WIKI_SPACED.test(line) || WIKI_COMPACT.test(line);
}

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** Character positions where heading lines begin, in order. */
export function headingStarts(text: string): number[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  let position = 0;
  let previousStart = -1;
  let previousWasText = false;
  for (const line of lines) {
    const lineStart = position;
    position += line.length + 1;
    if (ATX.test(line) || isWikiHeadingLine(line)) {
      starts.push(lineStart);
      previousWasText = false;
      continue;
    }
    // An underline turns the text line above it into a heading (only a single line, which is
    // what most real documents use; longer setext paragraphs are rare).
    if (previousWasText && SETEXT_UNDERLINE.test(line) && previousStart >= 0) {
      starts.push(previousStart);
      previousWasText = false;
      continue;
    }
    previousWasText = !isBlank(line);
    previousStart = lineStart;
  }
  return starts;
}
