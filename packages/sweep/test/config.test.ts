import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSweep, parseSweep } from '../src/index.js';
import { tempDir } from './helpers.js';

const base = {
  sleeves: { spy: 'embedded:spy', qqq: 'embedded:qqq', btc: 'embedded:btc' },
  universes: { minSize: 2 },
};

function errorOf(raw: unknown): string {
  try {
    parseSweep(raw, 'sweep.json');
  } catch (e) {
    expect((e as Error).name).toBe('InputError');
    return (e as Error).message;
  }
  throw new Error('expected the sweep to be refused');
}

describe('sweep file validation', () => {
  it('accepts a minimal sweep and fills the defaults', () => {
    const s = parseSweep(base, 'sweep.json');
    expect(s.options).toEqual({});
    expect(s.variants).toEqual([]);
  });

  it('refuses bad inputs with one line naming the file and the field', () => {
    const cases: [unknown, string][] = [
      [
        { ...base, sleeves: { spy: 'embedded:spy' } },
        'sweep.json: field sleeves: expected at least two sleeves',
      ],
      [{ ...base, sleeves: { SPY: 'a.csv', qqq: 'b.csv' } }, 'sweep.json: field sleeves.SPY:'],
      [{ ...base, universes: [['spy', 'gold']] }, 'sweep.json: field universes.0.1: no sleeve named gold'],
      [
        { ...base, universes: [['spy', 'spy']] },
        'sweep.json: field universes.0.1: spy is in this universe twice',
      ],
      [
        { ...base, universes: { minSize: 4 } },
        'sweep.json: field universes.minSize: the library has only 3 sleeves',
      ],
      [
        { ...base, universes: { minSize: 3, maxSize: 2 } },
        'sweep.json: field universes.maxSize: expected >= minSize',
      ],
      [
        { ...base, options: { trainRatio: 1.5 } },
        'sweep.json: field options.trainRatio: expected a number > 0 and <= 0.99, got 1.5',
      ],
      [
        { ...base, options: { pboBlocks: 7 } },
        'sweep.json: field options.pboBlocks: expected an even integer >= 2 and <= 24, got 7',
      ],
      [{ ...base, options: { jobs: 2 } }, 'sweep.json: field options:'],
      [{ ...base, variants: [{ turn_cost_bps: [12, -1] }] }, 'sweep.json: field variants.0'],
      [{ ...base, variants: [[{ seed: 1.5 }]] }, 'sweep.json: field variants.0'],
      [{ ...base, extra: 1 }, 'sweep.json: field (top level):'],
    ];
    for (const [raw, start] of cases) {
      const message = errorOf(raw);
      expect(message.startsWith(start), `${message} should start with ${start}`).toBe(true);
      expect(message).not.toContain('\n');
    }
  });

  it('reads JSON files and says so when the file is missing or not JSON', async () => {
    const dir = tempDir('config');
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(base));
    expect((await loadSweep(join(dir, 'ok.json'))).sweep.universes).toEqual({ minSize: 2 });
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(loadSweep(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: cannot read it/);
    await expect(loadSweep(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: file not found/);
  });

  it('reads a TypeScript sweep file', async () => {
    const dir = tempDir('config-ts');
    writeFileSync(
      join(dir, 'sweep.ts'),
      `const s: Record<string, unknown> = ${JSON.stringify(base)};\nexport default s;\n`,
    );
    expect((await loadSweep(join(dir, 'sweep.ts'))).sweep.sleeves).toEqual(base.sleeves);
  });
});
