import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--interrupt-budget=300000');
const { pathTableToParquet } = await import('./dist/tables.js');
const n = 120; const monthEnds = Array.from({ length: n }, (_, i) => `${2016 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-28`);
const f = (k) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * k + k));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const mode = process.argv[2];
const c0 = cpu(), t0 = performance.now(); let bytes = 0;
for (let j = 0; j < 100; j++) {
  const p = { monthEnds, sleeveReturns: [f(1+j), f(2+j)], weights: [f(3+j), f(4+j)], grossLeverage: f(5+j), retGross: f(6+j), cost: f(7+j), retNet: f(8+j), turnoverAbs: f(9+j), policyWRaw: [f(10+j)], policyConf: f(11+j) };
  if (j === 0 && mode) setFlagsFromString(mode);
  bytes += pathTableToParquet(p, ['a', 'b']).length;
  if (j === 0 && mode) setFlagsFromString(mode.replace('--', '--no-').replace('--no-no-', '--'));
}
const t1 = performance.now(), c1 = cpu();
await new Promise((r) => setTimeout(r, 500));
console.log(mode, 'wall', (t1 - t0).toFixed(0), 'cpu at end', (c1 - c0).toFixed(0), 'cpu +0.5s', (cpu() - c0 - 0).toFixed(0), bytes);
