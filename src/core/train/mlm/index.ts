export * from './head.ts';
export * from './loss.ts';
export * from './masking.ts';
