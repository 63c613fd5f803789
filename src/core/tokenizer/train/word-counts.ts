import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';

export type TextSource = Iterable<string> | AsyncIterable<string>;

/** Every pre-tokenized word of the corpus with how often it occurs, in first-seen order. */
export async function countWords(
  texts: TextSource,
  split: (text: string) => string[],
  options: { signal?: AbortSignal; onText?: (chars: number, texts: number) => void },
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let chars = 0;
  let seen = 0;
  let lastYield = Date.now();
  for await (const text of texts) {
    for (const word of split(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
    chars += text.length;
    seen += 1;
    if (Date.now() - lastYield > 40) {
      options.onText?.(chars, seen);
      await yieldToEventLoop();
      throwIfAborted(options.signal);
      lastYield = Date.now();
    }
  }
  throwIfAborted(options.signal);
  options.onText?.(chars, seen);
  return counts;
}
