#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// A run is short (seconds) and spends much of its CPU in V8's optimising compiler: by default V8
// optimises a function after about 66 KB of its bytecode has run, so hundreds of functions that
// run only briefly are compiled (and some recompiled), on every thread. A budget 4.5x larger
// optimises the ones that stay hot; a run-all then takes about 7% less CPU (see the README's Speed
// section). It is read as functions are created, so it is set before anything else loads, and
// worker threads share it (V8's flags are per process). Results do not depend on it.
setFlagsFromString('--interrupt-budget=300000');

const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
