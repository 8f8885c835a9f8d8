#!/usr/bin/env node
import { tuneV8ForShortRuns } from './v8-tuning.js';

// Before the commands' modules load (./v8-tuning.ts says why).
tuneV8ForShortRuns();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
