import { registerSW } from 'virtual:pwa-register';

/** Service-worker lifecycle as the UI needs it: offline-ready and "update available" prompts. */
export class PwaState {
  needRefresh = $state(false);
  offlineReady = $state(false);
  registrationError = $state<string | null>(null);
  private updateSW: ((reload?: boolean) => Promise<void>) | null = null;

  start(): void {
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
    this.updateSW = registerSW({
      immediate: true,
      onNeedRefresh: () => (this.needRefresh = true),
      onOfflineReady: () => (this.offlineReady = true),
      onRegisterError: (error: unknown) => (this.registrationError = String(error)),
    });
  }

  async update(): Promise<void> {
    await this.updateSW?.(true);
  }

  dismiss(): void {
    this.needRefresh = false;
    this.offlineReady = false;
  }
}
