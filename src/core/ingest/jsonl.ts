import type { JsonValue } from '../types.ts';
import type { FormatContext } from './context.ts';
import { LineSplitter } from './line-splitter.ts';
import { FileContentError, moreOf, type Location } from './messages.ts';
import {
  idFieldCandidates,
  isJsonRecord,
  meanStringLengths,
  pickIdField,
  pickTextField,
  recordToDraft,
  reportFields,
  type RecordFields,
} from './record-fields.ts';

/**
 * `.jsonl`: one JSON value per line, streamed. Objects use the text and id fields (decided from
 * the first object); plain strings are texts. Bad lines are reported and skipped; good ones kept.
 */
export async function readJsonl(context: FormatContext): Promise<void> {
  const { input, log, batcher } = context;
  const splitter = new LineSplitter();
  let lineNumber = 0;
  let fields: RecordFields | null = null;

  const readLine = async (line: string): Promise<void> => {
    lineNumber++;
    if (line.trim() === '') return;
    const at: Location = { line: lineNumber, label: `line ${lineNumber}` };
    let value: JsonValue;
    try {
      value = JSON.parse(line) as JsonValue;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.repeatable(
        'malformed-line',
        'error',
        `line ${lineNumber} is not valid JSON (${reason}); skipped`,
        { line: lineNumber },
        moreOf('malformed lines'),
      );
      return;
    }
    const fallbackId = `${input.path}#${lineNumber}`;
    if (typeof value === 'string') {
      await batcher.add({ id: fallbackId, text: value, metadata: {} }, at);
      return;
    }
    if (!isJsonRecord(value)) {
      log.repeatable(
        'bad-record',
        'error',
        `line ${lineNumber} holds ${Array.isArray(value) ? 'a list' : String(value)}, not an object or a string; skipped`,
        { line: lineNumber },
        moreOf('lines that are not objects or strings'),
      );
      return;
    }
    fields ??= jsonlFields(value, context, lineNumber);
    const draft = recordToDraft(value, fields, fallbackId, at, log);
    if (draft) await batcher.add(draft, at);
  };

  for await (const chunk of context.stream.text(log)) {
    for (const line of splitter.push(chunk)) await readLine(line);
  }
  for (const line of splitter.end()) await readLine(line);
  await batcher.finish({ plural: 'records with empty text', level: 'warning' });
}

function jsonlFields(
  first: { [key: string]: JsonValue },
  context: FormatContext,
  line: number,
): RecordFields {
  const { options, log } = context;
  const names = Object.keys(first);
  const idFields = idFieldCandidates(options);
  const idField = pickIdField(names, idFields);
  const textField = options.textField ?? pickTextField(names, meanStringLengths([first]), idField);
  if (textField === null) {
    throw new FileContentError(
      `no text field found: the first record (line ${line}) has no string field; set textField to name it`,
      { line },
    );
  }
  reportFields(log, { textField, idField }, 'field', options);
  return { textField, idFields };
}
