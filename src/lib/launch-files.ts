/** The File Handling API's launch queue, where Chromium puts files the installed app was opened with. */
interface LaunchParams {
  files: readonly { getFile(): Promise<File> }[];
}
export interface LaunchQueueLike {
  setConsumer(consumer: (params: LaunchParams) => void): void;
}

/**
 * Calls `onFiles` with the `.lumina` files the installed app was launched with (double-click in the
 * file manager). Does nothing where the API is missing (other browsers); Chromium also has it in
 * a tab, where the queue simply stays empty. Other
 * files are passed in `onIgnored` so the page can say why they were not opened.
 */
export function consumeLaunchedBundles(
  onFiles: (files: File[]) => void,
  onIgnored: (names: string[]) => void = () => undefined,
  queue: LaunchQueueLike | null = (globalThis as { launchQueue?: LaunchQueueLike }).launchQueue ??
    null,
): boolean {
  if (!queue) return false;
  queue.setConsumer((params) => {
    void Promise.all(params.files.map((handle) => handle.getFile())).then((files) => {
      const bundles = files.filter((file) => file.name.toLowerCase().endsWith('.lumina'));
      const others = files.filter((file) => !bundles.includes(file)).map((file) => file.name);
      if (others.length) onIgnored(others);
      if (bundles.length) onFiles(bundles);
    });
  });
  return true;
}

/**
 * Shares a file through the Web Share API where the browser can share files (Android, ChromeOS,
 * Windows, macOS), else downloads it. Says which happened.
 */
export async function shareOrDownload(
  file: File,
  download: () => void,
): Promise<'shared' | 'downloaded' | 'cancelled'> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (nav?.canShare?.({ files: [file] }) && nav.share) {
    try {
      await nav.share({ files: [file], title: file.name });
      return 'shared';
    } catch (error) {
      // The user closed the share sheet: not an error, and no download either.
      if (error instanceof DOMException && error.name === 'AbortError') return 'cancelled';
      throw error;
    }
  }
  download();
  return 'downloaded';
}
