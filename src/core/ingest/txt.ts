import { readWholeText, type FormatContext } from './context.ts';
import { LineSplitter } from './line-splitter.ts';
import { FileContentError } from './messages.ts';

/** `.txt`: the whole file as one document (id = path), or one document per non-empty line. */
export async function readTxt(context: FormatContext): Promise<void> {
  const { input, batcher } = context;
  if (context.options.txtMode === 'lines') {
    await readTxtLines(context);
    return;
  }
  const text = await readWholeText(context);
  if (text.trim() === '') throw new FileContentError('the file contains only whitespace');
  await batcher.add({ id: input.path, text, metadata: {} }, { label: 'the file' });
}

async function readTxtLines(context: FormatContext): Promise<void> {
  const { input, batcher } = context;
  const splitter = new LineSplitter();
  let line = 0;
  const addLine = (text: string): Promise<void> => {
    line++;
    return batcher.add(
      { id: `${input.path}#${line}`, text, metadata: { line } },
      { line, label: `line ${line}` },
    );
  };
  for await (const chunk of context.stream.text(context.log)) {
    for (const text of splitter.push(chunk)) await addLine(text);
  }
  for (const text of splitter.end()) await addLine(text);
  await batcher.finish({ plural: 'blank lines', level: 'info' });
}
