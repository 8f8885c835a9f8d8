import { describe, expect, it } from 'vitest';
import {
  CORE_API_VERSION,
  type CandidateFamily,
  FamilyRegistry,
  InputError,
  SUPPORTED_CORE_APIS,
  buildCandidate,
  candidate,
  closest,
  defineFamily,
  validateCandidate,
} from '../src/index.js';
import { gridLabel, lookbackLeverageGrid } from '../src/grid.js';

const scored = () =>
  defineFamily({
    meta: { name: 'scored', version: '1.0.0', coreApi: 2 },
    params: {
      lookback: { type: 'integer', default: 6, min: 2, max: 60, description: 'Months scored.' },
      dd_penalty: { type: 'number', default: 1.2, min: 0, max: 100, description: 'Drawdown weight.' },
      mode: { type: 'enum', values: ['mean', 'median'], default: 'mean', description: 'Statistic.' },
      hedge: { type: 'boolean', default: false, description: 'Hedge.' },
    },
    defaultGrid: (c) => [c('scored_a', { lookback: 3 })],
    decide: (_ctx, config) => ({ wRaw: config.hedge ? 0.5 : 1 / config.lookback, conf: 0 }),
  });

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('candidate construction (one place for defaults and checks)', () => {
  it('applies the family defaults the same way for library code and config-like construction', () => {
    const fam = scored();
    const library = fam.candidate('h');
    // What a config file gives: untyped parameters, built by the same core function.
    const fromConfig = buildCandidate(fam, 'h', JSON.parse('{}'));
    expect(library).toEqual(fromConfig);
    expect(JSON.stringify(library)).toBe(JSON.stringify(fromConfig));
    expect(library).toMatchObject({
      method: 'scored',
      lookback: 6,
      dd_penalty: 1.2,
      mode: 'mean',
      hedge: false,
    });
    // Key order: name, method, family parameters, position mechanics (JSON dumps depend on it).
    expect(Object.keys(library).slice(0, 7)).toEqual([
      'name',
      'method',
      'lookback',
      'dd_penalty',
      'mode',
      'hedge',
      'min_w',
    ]);
    expect(fam.candidate('h', { dd_penalty: 0.5, max_gross: 1.3 })).toEqual(
      buildCandidate(fam, 'h', JSON.parse('{"dd_penalty":0.5,"max_gross":1.3}')),
    );
    expect(fam.defaultGrid()).toEqual([buildCandidate(fam, 'scored_a', { lookback: 3 })]);
  });

  it('rejects an unknown key with an InputError naming the closest valid key', () => {
    const fam = scored();
    const e = thrown(() => buildCandidate(fam, 'h', { lookbak: 4 }));
    expect(e.message).toBe('candidate h: family scored has no parameter lookbak (did you mean lookback?)');
    expect(e.field).toBe('lookbak');
    expect(thrown(() => buildCandidate(fam, 'h', { max_gros: 1.2 })).message).toMatch(
      /did you mean max_gross\?/,
    );
    expect(thrown(() => buildCandidate(fam, 'h', { zzzzzz: 1 })).message).toMatch(
      /no parameter zzzzzz \(valid: lookback, dd_penalty, mode, hedge, min_w,/,
    );
    // A hand-made config is held to the same rule.
    expect(thrown(() => validateCandidate({ ...fam.candidate('h'), windw: 4 }, fam)).message).toMatch(
      /has no parameter windw/,
    );
    expect(thrown(() => buildCandidate(fam, 'h', { name: 'x' })).message).toMatch(/name is not a parameter/);
  });

  it('checks values against the spec: integer bounds, enum membership, booleans, position ranges', () => {
    const fam = scored();
    expect(thrown(() => fam.candidate('h', { lookback: 1 })).message).toBe(
      'candidate h: lookback must be an integer in [2, 60], got 1',
    );
    expect(thrown(() => buildCandidate(fam, 'h', { lookback: 2.5 })).message).toMatch(
      /lookback must be an integer/,
    );
    expect(thrown(() => buildCandidate(fam, 'h', { mode: 'max' })).message).toBe(
      'candidate h: mode must be one of "mean", "median", got "max"',
    );
    expect(thrown(() => buildCandidate(fam, 'h', { hedge: 1 })).message).toMatch(
      /hedge must be true or false/,
    );
    expect(thrown(() => buildCandidate(fam, 'h', { smoothing: 1 })).message).toMatch(
      /smoothing must be a number in \[0, 1\)/,
    );
    expect(thrown(() => buildCandidate(fam, 'h', { dd_penalty: '1' })).message).toMatch(
      /dd_penalty must be a number/,
    );
  });

  it('rejects a config missing a family parameter instead of deciding with undefined', () => {
    const fam = scored();
    expect(thrown(() => validateCandidate(candidate('h', 'scored', { lookback: 4 }), fam)).message).toMatch(
      /candidate h: dd_penalty is missing/,
    );
  });
});

describe('core API versions', () => {
  it('is API 2 and supports only API 2', () => {
    expect(CORE_API_VERSION).toBe(2);
    expect(SUPPORTED_CORE_APIS).toEqual([2]);
  });

  it.each([1, 3])('refuses a family declaring coreApi %i, naming both versions', (api) => {
    const fam = { ...scored(), meta: { name: 'scored', version: '1.0.0', coreApi: api } } as CandidateFamily;
    const e = thrown(() => new FamilyRegistry().register(fam, 'pkg'));
    expect(e.message).toMatch(
      new RegExp(
        `family scored targets core API ${api}; this @step4/core \\d+\\.\\d+\\.\\d+\\S* supports API 2$`,
      ),
    );
    expect(() => new FamilyRegistry().register(scored(), 'pkg')).not.toThrow();
  });

  it('refuses a family whose parameter default breaks its own spec, or that redeclares a position field', () => {
    const bad = (params: object) => ({ ...scored(), params }) as unknown as CandidateFamily;
    expect(
      thrown(() =>
        new FamilyRegistry().register(
          bad({ mode: { type: 'enum', values: ['a'], default: 'b', description: '' } }),
          'pkg',
        ),
      ).message,
    ).toMatch(/params\.mode default: mode must be one of "a", got "b"/);
    expect(
      thrown(() =>
        new FamilyRegistry().register(
          bad({ max_gross: { type: 'number', default: 1, description: '' } }),
          'pkg',
        ),
      ).message,
    ).toMatch(/max_gross is a field of every candidate/);
  });
});

describe('shared helpers', () => {
  it('suggests the closest name for typos and nothing for unrelated words', () => {
    const names = ['lookback', 'dd_penalty', 'max_gross', 'gross_base'];
    expect(closest('lookbak', names)).toBe('lookback');
    expect(closest('ddpenalty', names)).toBe('dd_penalty');
    expect(closest('zzzzzz', names)).toBeUndefined();
  });

  it('names grid candidates the reference way and knows no family parameter', () => {
    expect([1.0, 1.15, 1.3].map(gridLabel)).toEqual(['1_0', '1_15', '1_3']);
    expect(lookbackLeverageGrid('m', [3, 6], [1.0, 1.15], (name, L, G) => [name, L, G])).toEqual([
      ['m_lb3_g1_0', 3, 1.0],
      ['m_lb3_g1_15', 3, 1.15],
      ['m_lb6_g1_0', 6, 1.0],
      ['m_lb6_g1_15', 6, 1.15],
    ]);
  });
});
