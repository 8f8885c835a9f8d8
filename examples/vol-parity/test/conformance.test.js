import { runConformance } from '@step4/core/testing';
import { expect, it } from 'vitest';
import { volParityFamily } from '../src/index.js';

it('passes the Step 4 conformance kit (no look-ahead, determinism, valid outputs)', async () => {
  const report = await runConformance(volParityFamily());
  expect(report.checks.filter((c) => c.check === 'no-look-ahead').length).toBe(9);
});
