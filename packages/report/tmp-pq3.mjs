import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const pw = require('parquet-wasm');
const { ipcStream } = await import('./dist/arrow-ipc.js');
const n = 120; const times = Array.from({ length: n }, (_, i) => Date.UTC(2016 + Math.floor(i / 12), i % 12, 28));
const f = (k) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * k + k));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const variants = {
  base: (b) => b,
  page64k: (b) => b.setDataPageSizeLimit(65536).setDictionaryPageSizeLimit(65536),
  batch128: (b) => b.setWriteBatchSize(128),
  rg: (b) => b.setMaxRowGroupSize(4096),
  all: (b) => b.setDataPageSizeLimit(65536).setDictionaryPageSizeLimit(65536).setWriteBatchSize(128).setMaxRowGroupSize(4096),
};
const v = process.argv[2];
const cols = (j) => [{ name: 'month_end', kind: 'timestamp_ms_utc', values: times }, ...Array.from({ length: 13 }, (_, c) => ({ name: 'c' + c, kind: 'float64', values: f(c + j), nullable: c === 12 }))];
const c0 = cpu(); const t0 = performance.now(); let h = 0; const out = [];
for (let j = 0; j < 100; j++) {
  const props = variants[v](new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY)).build();
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipcStream(cols(j))), props);
  out.push(Buffer.from(bytes).toString('base64'));
}
const { createHash } = await import('node:crypto');
console.log(v, 'wall', (performance.now() - t0).toFixed(0), 'cpu', (cpu() - c0).toFixed(0), createHash('md5').update(out.join()).digest('hex'));
