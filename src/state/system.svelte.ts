import {
  needsAttention,
  requestPersistence,
  runSystemCheck,
  type SystemReport,
} from '../lib/system-check.ts';

declare const __APP_VERSION__: string;
export const appVersion: string = __APP_VERSION__;

const SEEN_KEY = 'lumina.system-check.seen';

/** The system check: what this browser offers Lumina, and whether to show it on first run. */
export class SystemState {
  report = $state<SystemReport | null>(null);
  checking = $state(false);
  error = $state<string | null>(null);

  async check(): Promise<SystemReport | null> {
    this.checking = true;
    try {
      this.report = await runSystemCheck(appVersion);
      this.error = null;
    } catch (error) {
      this.error = `The system check failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.checking = false;
    }
    return this.report;
  }

  async askPersistence(): Promise<void> {
    await requestPersistence();
    await this.check();
  }

  /** First run, or something needed is missing: the app opens on this view. */
  shouldOpenFirst(): boolean {
    const firstRun = localStorage.getItem(SEEN_KEY) === null;
    localStorage.setItem(SEEN_KEY, String(Date.now()));
    return firstRun && this.report !== null && needsAttention(this.report.checks);
  }
}
