export * from './backend.ts';
export * from './config.ts';
export * from './encoder.ts';
export * from './inputs.ts';
export * from './weights-io.ts';
