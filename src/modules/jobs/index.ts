export { createWorker, type PeriodicTask, type Worker } from './jobs.runner.ts';
export { outbox } from './jobs.tables.ts';
