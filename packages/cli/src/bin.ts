#!/usr/bin/env -S node --no-concurrent-recompilation --single-threaded-gc
// The shebang's V8 flags are @step4/core's COMMAND_LINE_V8_FLAGS (v8-tuning.ts says why; a test checks).
import { tuneV8ForShortRuns } from '@step4/core/v8-tuning';

// Before the commands' modules load (@step4/core's v8-tuning.ts says why).
tuneV8ForShortRuns();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
// Everything is written and closed when main returns: exit once stdout and stderr are flushed,
// rather than waiting for the threads and libraries to wind down (about 30 ms at the end of a
// run). The exit waits a turn of the event loop: a failed write's error event, which raises the
// exit code (main.ts, guardStdio), comes after the write's callback.
process.stdout.write('', () => process.stderr.write('', () => setImmediate(() => process.exit())));
