import { execFileSync } from 'node:child_process';
import { COMMAND_LINE_V8_FLAGS } from '@step4/core/v8-tuning';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { chartSpec } from '../src/portfolio-chart.js';
import { input } from './chart-input.js';

// The build's bundle of vega and vega-lite (dist/chart-libraries.cjs) and V8's code cache of it
// (dist/chart-libraries.cache), made by `pnpm build` (scripts/bundle-chart-libraries.mjs), which
// the tests run after. Loaded in child processes: the code cache depends on the process's V8 flags.
const loader = new URL('../dist/chart-libraries.js', import.meta.url).href;
const chart = new URL('../dist/portfolio-chart.js', import.meta.url).href;
// @step4/core's module, as this package's dependency resolves (the `step4` command applies it first thing).
const v8Tuning = new URL('../node_modules/@step4/core/dist/v8-tuning.js', import.meta.url).href;

/** The panels' SVG of a spec, rendered with the given libraries. */
async function svgOf(v: typeof vega, c: typeof compile, spec: unknown): Promise<string> {
  const view = new v.View(v.parse(c(spec as Parameters<typeof compile>[0]).spec), {
    renderer: 'none',
    logLevel: v.Warn,
  });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** In a fresh `node`, with or without the `step4` command's V8 settings (its shebang's flags and its budgets): where the libraries came from, and the panels' SVG of `spec`. */
function renderInChild(
  spec: unknown,
  step4Settings: boolean,
): { source: string; svg: string; version: string } {
  const script = `
    ${step4Settings ? `(await import(${JSON.stringify(v8Tuning)})).tuneV8ForShortRuns();` : ''}
    const { readFileSync } = await import('node:fs');
    const { loadVega, chartLibrariesSource } = await import(${JSON.stringify(loader)});
    const { panelsSvg } = await import(${JSON.stringify(chart)});
    const svg = await panelsSvg(JSON.parse(readFileSync(0, 'utf8')));
    const [vega] = await loadVega();
    process.stdout.write(JSON.stringify({ source: chartLibrariesSource(), svg, version: vega.version }));
  `;
  const flags = step4Settings ? COMMAND_LINE_V8_FLAGS : [];
  const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    input: JSON.stringify(spec),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

describe("the build's bundle of vega and vega-lite, and its code cache", () => {
  const two = input(['spyqqq', 'btceth']);
  const four = input(['spyqqq', 'btceth', 'gold', 'bonds']);

  it("is taken under the step4 command's V8 settings, and renders the installed packages' SVG", async () => {
    for (const x of [two, four]) {
      const spec = chartSpec(x);
      const fromPackages = await svgOf(vega, compile, spec);
      expect(fromPackages.length).toBeGreaterThan(10_000);
      const child = renderInChild(spec, true);
      expect(child.source).toBe('bundle, code cache accepted');
      expect(child.version).toBe(vega.version);
      expect(child.svg).toBe(fromPackages);
    }
  });

  it('is refused under other V8 flags (Node compiles the bundle as usual), with the same SVG', async () => {
    const spec = chartSpec(two);
    const child = renderInChild(spec, false);
    expect(child.source).toBe('bundle, code cache rejected');
    expect(child.svg).toBe(await svgOf(vega, compile, spec));
  });
});
