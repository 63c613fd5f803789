import type { Metadata } from '../types.ts';
import { readWholeText, type FormatContext } from './context.ts';
import { FileContentError } from './messages.ts';

const FENCE = /^\s{0,3}(```|~~~)/;
const ATX_HEADING = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/;
const SETEXT_UNDERLINE = /^\s{0,3}(=+|-+)\s*$/;
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/;
const FRONT_MATTER_TITLE = /^title:\s*(.+?)\s*$/m;

/** Splits off YAML front matter, whose `---` lines would otherwise read as setext headings. */
function splitFrontMatter(text: string): { title: string | null; body: string } {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { title: null, body: text };
  const title = FRONT_MATTER_TITLE.exec(match[1] ?? '')?.[1]?.replace(/^(["'])(.*)\1$/, '$2');
  return { title: title ?? null, body: text.slice(match[0].length) };
}

/**
 * The title of a Markdown text: front matter `title:`, else the first heading (ATX `# Title` or
 * setext `Title\n===`) outside code blocks.
 */
export function markdownTitle(text: string): string | null {
  const { title, body } = splitFrontMatter(text);
  if (title) return title;
  let inFence = false;
  let previous = '';
  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      previous = '';
      continue;
    }
    if (inFence) continue;
    const atx = ATX_HEADING.exec(line);
    if (atx?.[1]) return atx[1];
    if (previous.trim() !== '' && SETEXT_UNDERLINE.test(line)) return previous.trim();
    previous = line;
  }
  return null;
}

/** `.md`: the whole file as one document; metadata.title is its first heading. */
export async function readMarkdown(context: FormatContext): Promise<void> {
  const { input, batcher } = context;
  const text = await readWholeText(context);
  if (text.trim() === '') throw new FileContentError('the file contains only whitespace');
  const metadata: Metadata = {};
  const title = markdownTitle(text);
  if (title !== null) metadata.title = title;
  await batcher.add({ id: input.path, text, metadata }, { label: 'the file' });
}
