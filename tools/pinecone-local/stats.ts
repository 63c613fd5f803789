/**
 * What the emulator has seen since start or the last reset, for tests that count requests and
 * re-sent ids (GET /_emulator/stats; POST /_emulator/stats/reset clears it).
 */
export interface EmulatorStats {
  /** Data- and control-plane requests, preflights left out. */
  requests: number;
  /** Requests by `<METHOD> <operation>`, e.g. `POST /vectors/upsert`. */
  byOperation: Record<string, number>;
  /** Requests answered with an injected fault, by kind (429, 500, 503, drop). */
  faults: Record<string, number>;
  /** Ids in upsert requests that were applied (faulted requests not counted). */
  upsertedIds: number;
  /** Ids in delete requests that were applied. */
  deletedIds: number;
  /** Requests per Api-Key header value; tests check the app's key was really used. */
  requestsPerKey: Record<string, number>;
}

export class StatsRecorder {
  private stats: EmulatorStats = StatsRecorder.empty();

  private static empty(): EmulatorStats {
    return {
      requests: 0,
      byOperation: {},
      faults: {},
      upsertedIds: 0,
      deletedIds: 0,
      requestsPerKey: {},
    };
  }

  request(operation: string, apiKey: string | undefined): void {
    this.stats.requests += 1;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
    if (apiKey !== undefined) {
      this.stats.requestsPerKey[apiKey] = (this.stats.requestsPerKey[apiKey] ?? 0) + 1;
    }
  }

  fault(kind: string): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
  }

  applied(operation: 'upsert' | 'delete', ids: number): void {
    if (operation === 'upsert') this.stats.upsertedIds += ids;
    else this.stats.deletedIds += ids;
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = StatsRecorder.empty();
  }
}
