/**
 * The `step4` command runs Node with @step4/core's COMMAND_LINE_V8_FLAGS:
 * its bin's shebang passes them (`#!/usr/bin/env -S node ...`), for the
 * kernel and for npm's and pnpm's command shims alike.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMMAND_LINE_V8_FLAGS } from '@step4/core/v8-tuning';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'step4-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the step4 command's bin", () => {
  it("passes the command-line V8 flags in its shebang, through env's -S", () => {
    const first = readFileSync(BIN, 'utf8').split('\n', 1)[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${COMMAND_LINE_V8_FLAGS.join(' ')}`);
  });

  it('runs as an executable file, and Node gets the flags', () => {
    accessSync(BIN, constants.X_OK);
    // Preloaded through NODE_OPTIONS (the command line is the shebang's): writes what Node was given.
    const seen = join(dir, 'exec-argv.json');
    const probe = join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(seen)}, JSON.stringify(process.execArgv));\n`,
    );
    const r = spawnSync(BIN, ['--version'], {
      encoding: 'utf8',
      // The Node running this test first on PATH, as `env` looks it up.
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        NODE_OPTIONS: `--import=${pathToFileURL(probe).href}`,
      },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const execArgv = JSON.parse(readFileSync(seen, 'utf8')) as string[];
    for (const flag of COMMAND_LINE_V8_FLAGS) expect(execArgv).toContain(flag);
  });
});
