import { afterAll, describe, expect, it } from 'vitest';
import { noTextPdf, textPdf } from '../../support/fixtures/pdf.ts';
import { ingestBytes, ingestPath, messagesOf, scratchDir } from './helpers.ts';

const scratch = scratchDir();
afterAll(() => scratch.remove());

describe('pdf', () => {
  it('extracts the text of each page, pages joined by a blank line, with page count and title', async () => {
    const pdf = textPdf(
      [
        ['Lumina reads PDF files.', 'Second line (with parentheses) and a \\ backslash.'],
        ['Page two says hello.'],
      ],
      'A Tiny Test PDF',
    );
    const { result, docs } = await ingestPath(
      scratch.write('tiny.pdf', pdf),
      {},
      {},
      'docs/tiny.pdf',
    );
    expect(result.format).toBe('pdf');
    expect(result.messages).toEqual([]);
    expect(docs).toEqual([
      {
        id: 'docs/tiny.pdf',
        source: 'docs/tiny.pdf',
        text: 'Lumina reads PDF files.\nSecond line (with parentheses) and a \\ backslash.\n\nPage two says hello.',
        metadata: { pages: 2, title: 'A Tiny Test PDF' },
      },
    ]);
    expect(result.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a PDF without text as possibly scanned', async () => {
    const { result, docs } = await ingestBytes('scan.pdf', noTextPdf());
    expect(docs).toEqual([]);
    expect(messagesOf(result, 'error')).toEqual([
      'no extractable text in 1 page(s); it may be a scanned PDF (images of text), which needs OCR first',
    ]);
  });

  it('reports a corrupt PDF', async () => {
    const truncated = textPdf([['cut short']]).slice(0, 60);
    const { result, docs } = await ingestBytes('broken.pdf', truncated);
    expect(docs).toEqual([]);
    expect(messagesOf(result, 'error')[0]).toMatch(
      /^could not read the PDF \(corrupt or not a PDF\): /,
    );
    const notPdf = await ingestBytes('fake.pdf', 'just some text, not a PDF');
    expect(messagesOf(notPdf.result, 'error')[0]).toMatch(/^could not read the PDF/);
  });
});
