#!/usr/bin/env node
// The `palier` command: runs the TypeScript sources through tsx (a runtime dependency), so the
// command works from a checkout without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
