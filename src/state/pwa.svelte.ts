import { registerSW } from 'virtual:pwa-register';
import { warmRuntimeCache } from '../lib/warm-runtime.ts';

/** Chromium's install prompt event; not in TypeScript's DOM library. */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed'; platform: string }>;
}

function isInstallPrompt(event: Event): event is BeforeInstallPromptEvent {
  return 'prompt' in event && typeof (event as { prompt: unknown }).prompt === 'function';
}

/**
 * Service-worker lifecycle and installation as the UI needs them: offline-ready and "update
 * available" prompts, and an "Install Lumina" button while the browser offers installation.
 */
export class PwaState {
  needRefresh = $state(false);
  offlineReady = $state(false);
  registrationError = $state<string | null>(null);
  /** The browser offered installation and Lumina does not run as the installed app. */
  canInstall = $state(false);
  /** Running as the installed app, or installed during this visit. */
  installed = $state(false);
  installOutcome = $state<string | null>(null);
  private updateSW: ((reload?: boolean) => Promise<void>) | null = null;
  private installPrompt: BeforeInstallPromptEvent | null = null;
  private reloading = false;

  start(): void {
    this.watchInstall();
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
    this.updateSW = registerSW({
      immediate: true,
      onNeedRefresh: () => (this.needRefresh = true),
      onOfflineReady: () => (this.offlineReady = true),
      onRegisterError: (error: unknown) => (this.registrationError = String(error)),
      onNeedReload: () => this.reloadOnce(),
    });
  }

  /**
   * Once the service worker controls the page, caches the ONNX Runtime files in the background
   * so embedding works offline even for a model that never ran online.
   */
  async warmOfflineRuntime(): Promise<void> {
    if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
    try {
      await warmRuntimeCache();
    } catch (error) {
      // Not fatal: the runtime is cached anyway the first time a model runs online.
      console.warn('Could not cache the ONNX Runtime for offline use:', error);
    }
  }

  /** Activates the waiting version; the page reloads into it once it controls the page. */
  async update(): Promise<void> {
    if (!this.updateSW) return;
    // vite-plugin-pwa reloads only pages that had a controller when they registered; a page
    // first controlled during this visit (clientsClaim) reloads here when the new version takes over.
    navigator.serviceWorker.addEventListener('controllerchange', () => this.reloadOnce(), {
      once: true,
    });
    await this.updateSW(true);
  }

  private reloadOnce(): void {
    if (this.reloading) return;
    this.reloading = true;
    window.location.reload();
  }

  dismiss(): void {
    this.needRefresh = false;
    this.offlineReady = false;
  }

  /** Shows the browser's install dialog (it may be shown once per offer) and says how it went. */
  async install(): Promise<void> {
    const prompt = this.installPrompt;
    if (!prompt) return;
    this.installPrompt = null;
    this.canInstall = false;
    try {
      await prompt.prompt();
      const { outcome } = await prompt.userChoice;
      this.installOutcome =
        outcome === 'accepted'
          ? 'Lumina is being installed: open it from your apps or desktop.'
          : 'Installation dismissed. The browser can offer it again later.';
    } catch (error) {
      this.installOutcome = `Installation failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private watchInstall(): void {
    const standalone = matchMedia('(display-mode: standalone)');
    this.installed = standalone.matches;
    standalone.addEventListener('change', (event) => {
      this.installed = event.matches;
      if (event.matches) this.canInstall = false;
    });
    window.addEventListener('beforeinstallprompt', (event) => {
      if (!isInstallPrompt(event)) return;
      // Keep the browser's mini-infobar away: Lumina offers installation with its own button.
      event.preventDefault();
      this.installPrompt = event;
      this.canInstall = !this.installed;
    });
    window.addEventListener('appinstalled', () => {
      this.installPrompt = null;
      this.canInstall = false;
      this.installed = true;
      this.installOutcome = 'Lumina is installed.';
    });
  }
}
