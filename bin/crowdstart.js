#!/usr/bin/env node
// The published entry point: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
