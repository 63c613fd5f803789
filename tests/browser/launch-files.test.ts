import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  consumeLaunchedBundles,
  shareOrDownload,
  type LaunchQueueLike,
} from '../../src/lib/launch-files.ts';

function fakeQueue(): { queue: LaunchQueueLike; launch: (files: File[]) => void } {
  let consumer: ((params: { files: { getFile(): Promise<File> }[] }) => void) | null = null;
  return {
    queue: { setConsumer: (c) => (consumer = c) },
    launch: (files) => consumer?.({ files: files.map((file) => ({ getFile: async () => file })) }),
  };
}

describe('File Handling: files the installed app was opened with', () => {
  it('passes .lumina files on and names the others', async () => {
    const { queue, launch } = fakeQueue();
    const opened: string[][] = [];
    const ignored: string[][] = [];
    expect(
      consumeLaunchedBundles(
        (files) => opened.push(files.map((f) => f.name)),
        (names) => ignored.push(names),
        queue,
      ),
    ).toBe(true);
    launch([new File(['x'], 'corpus.LUMINA'), new File(['y'], 'notes.txt')]);
    await vi.waitFor(() => expect(opened).toEqual([['corpus.LUMINA']]));
    expect(ignored).toEqual([['notes.txt']]);
  });

  it('does nothing where the API is missing (browsers without File Handling)', () => {
    expect(consumeLaunchedBundles(() => undefined, undefined, null)).toBe(false);
  });
});

describe('Web Share of a bundle', () => {
  const file = new File(['zip'], 'set.lumina', { type: 'application/zip' });
  afterEach(() => vi.unstubAllGlobals());

  it('downloads where files cannot be shared', async () => {
    vi.stubGlobal('navigator', { ...navigator, canShare: () => false });
    const download = vi.fn();
    expect(await shareOrDownload(file, download)).toBe('downloaded');
    expect(download).toHaveBeenCalledOnce();
  });

  it('shares where it can, and treats a closed share sheet as cancelled, not a download', async () => {
    const share = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { canShare: () => true, share });
    const download = vi.fn();
    expect(await shareOrDownload(file, download)).toBe('shared');
    expect(share).toHaveBeenCalledWith({ files: [file], title: 'set.lumina' });
    share.mockRejectedValueOnce(new DOMException('closed', 'AbortError'));
    expect(await shareOrDownload(file, download)).toBe('cancelled');
    expect(download).not.toHaveBeenCalled();
  });
});
