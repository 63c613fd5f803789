import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator } from '../../../src/core/ingest/utf8-validator.ts';

function validate(bytes: Uint8Array, chunkSize: number): Utf8Validator {
  const validator = new Utf8Validator();
  for (let at = 0; at < bytes.length; at += chunkSize)
    validator.push(bytes.subarray(at, at + chunkSize));
  validator.end();
  return validator;
}

function countReplacements(text: string): number {
  return [...text].filter((c) => c === '\uFFFD').length;
}

describe('Utf8Validator', () => {
  it('agrees with TextDecoder on validity and on the number of replaced sequences (property)', () => {
    // Mostly ASCII and UTF-8 lead/continuation bytes; 0xEF is left out so that no real U+FFFD
    // (EF BF BD) occurs and every U+FFFD in the decoded text marks an error.
    const byte = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xee }),
      fc.integer({ min: 0xf0, max: 0xff }),
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 64 }),
        fc.integer({ min: 1, max: 9 }),
        (values, chunkSize) => {
          const input = Uint8Array.from(values);
          const validator = validate(input, chunkSize);
          let valid = true;
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(input);
          } catch {
            valid = false;
          }
          expect(validator.errors === 0).toBe(valid);
          expect(validator.errors).toBe(countReplacements(new TextDecoder().decode(input)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reports the first bad byte offset and line', () => {
    const bytes = new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0xe2, 0x82, 0x0a, 0xff]);
    const validator = validate(bytes, 3);
    expect(validator.errors).toBe(2);
    expect(validator.firstErrorOffset).toBe(6);
    expect(validator.firstErrorLine).toBe(3);
  });

  it('flags a sequence cut off by the end of the file', () => {
    const validator = validate(new Uint8Array([0x61, 0xf0, 0x9f]), 1);
    expect(validator.errors).toBe(1);
    expect(validator.firstErrorOffset).toBe(3);
  });
});
