#!/usr/bin/env node
// gdl: the gpu-dma-lock CLI. The CLI is TypeScript run through tsx, so the
// checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../agent/src/cli/main.ts');
process.exitCode = await main(process.argv);
