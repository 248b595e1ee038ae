export { createWorker, type PeriodicTask, type Worker } from './jobs.runner.ts';
