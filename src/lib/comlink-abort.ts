import * as Comlink from 'comlink';

/**
 * Lets an `AbortSignal` cross a comlink boundary as a real signal: the caller's side forwards
 * `abort` over a MessagePort and the worker's side aborts a fresh controller. Import this module
 * on both sides (it registers the handler once).
 */
interface SerializedSignal {
  aborted: boolean;
  reason: string;
  port: MessagePort;
}

function reasonText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

const handler: Comlink.TransferHandler<AbortSignal, SerializedSignal> = {
  canHandle: (value): value is AbortSignal =>
    typeof AbortSignal !== 'undefined' && value instanceof AbortSignal,
  serialize(signal) {
    const { port1, port2 } = new MessageChannel();
    if (!signal.aborted) {
      signal.addEventListener(
        'abort',
        () => {
          port1.postMessage(reasonText(signal));
          port1.close();
        },
        { once: true },
      );
    }
    return [
      { aborted: signal.aborted, reason: signal.aborted ? reasonText(signal) : '', port: port2 },
      [port2],
    ];
  },
  deserialize({ aborted, reason, port }) {
    const controller = new AbortController();
    const abort = (message: string) =>
      controller.abort(new DOMException(message || 'The operation was aborted.', 'AbortError'));
    if (aborted) abort(reason);
    port.onmessage = (event: MessageEvent<string>) => {
      abort(event.data);
      port.close();
    };
    return controller.signal;
  },
};

Comlink.transferHandlers.set('abort-signal', handler as Comlink.TransferHandler<unknown, unknown>);
