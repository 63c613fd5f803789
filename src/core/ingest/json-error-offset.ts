/**
 * Finds where JSON text first breaks the grammar. Engines word JSON.parse errors differently
 * and some (V8 in Node 20) give no position at all; this walk over the text, run only after
 * JSON.parse has failed, gives the offset so the message can name a line and column.
 * Returns -1 when it finds no error (or the nesting is too deep to walk).
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;

  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const skipSpace = (): void => {
    for (let c = text[i]; c === ' ' || c === '\t' || c === '\n' || c === '\r'; c = text[++i]);
  };
  const expect = (char: string): void => {
    if (text[i] !== char) fail();
    i++;
  };
  const literal = (word: string): void => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c === 0x22) break;
      if (c === 0x5c) {
        i++;
        const escape = text[i] ?? '';
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(escape) || escape === '') {
          fail();
        }
      }
      i++;
    }
    i++;
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
  const number = (): void => {
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) fail();
    i = NUMBER.lastIndex;
  };
  const members = (close: string, member: () => void): void => {
    i++;
    skipSpace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      skipSpace();
      if (text[i] === ',') {
        i++;
        skipSpace();
        continue;
      }
      expect(close);
      return;
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      members('}', () => {
        string();
        skipSpace();
        expect(':');
        value();
      });
    } else if (c === '[') {
      members(']', value);
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };

  try {
    value();
    skipSpace();
    if (i < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    return -1;
  }
}

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}
