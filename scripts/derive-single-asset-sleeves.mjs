// Derives the four single-asset Step 3 sleeve tables (SPY, QQQ, BTC, ETH) shipped with the CLI from
// the embedded month-end closes in packages/cli/data/prices_monthly.csv. Plain Node, no dependencies.
//   node scripts/derive-single-asset-sleeves.mjs           writes packages/cli/data/sleeve_<asset>_monthly.csv
//   node scripts/derive-single-asset-sleeves.mjs --check   compares with the files on disk, writes nothing
// Format (see packages/cli/data/SOURCES.md): month_end,ret,equity,pnl,trades with month_end written as
// YYYY-MM-DDT00:00:00Z; ret_t = P_t / P_{t-1} - 1 over the series' whole range (first row = second month
// with a price); equity carried forward as equity_t = equity_{t-1} * (1 + ret_t) from 10000, pnl =
// equity_t - equity_{t-1}; trades = 0; floats as String(x) (shortest round-trip). This is the same
// computation order as the combined sleeve_spyqqq / sleeve_btceth files, which it reproduces byte for byte
// when fed the 50/50 returns.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'data');
const ASSETS = ['SPY', 'QQQ', 'BTC', 'ETH'];
const check = process.argv.includes('--check');

const lines = readFileSync(join(DATA, 'prices_monthly.csv'), 'utf8').trimEnd().split('\n');
const header = lines[0].split(',');
const rows = lines.slice(1).map((l) => l.split(','));

/** Month-end closes of one column, in file order, with a check that the series has no inner gap. */
function closes(asset) {
  const col = header.indexOf(asset);
  if (col < 0) throw new Error(`prices_monthly.csv has no column ${asset}`);
  const out = [];
  let ended = false;
  for (const r of rows) {
    const cell = r[col] ?? '';
    if (cell === '') {
      if (out.length > 0) ended = true;
      continue;
    }
    if (ended) throw new Error(`${asset}: gap inside the series before ${r[0]}`);
    const price = Number(cell);
    if (!Number.isFinite(price) || price <= 0) throw new Error(`${asset}: bad price ${cell} at ${r[0]}`);
    out.push({ month: r[0], price });
  }
  return out;
}

/** The Step 3 table of a series of (month, ret): equity carried forward from 10000. */
function table(returns) {
  const out = ['month_end,ret,equity,pnl,trades'];
  let equity = 10000;
  for (const { month, ret } of returns) {
    const previous = equity;
    equity = equity * (1 + ret);
    out.push(`${month}T00:00:00Z,${String(ret)},${String(equity)},${String(equity - previous)},0`);
  }
  return `${out.join('\n')}\n`;
}

let failed = false;
for (const asset of ASSETS) {
  const p = closes(asset);
  const returns = [];
  for (let i = 1; i < p.length; i++)
    returns.push({ month: p[i].month, ret: p[i].price / p[i - 1].price - 1 });
  const text = table(returns);
  const file = join(DATA, `sleeve_${asset.toLowerCase()}_monthly.csv`);
  const range = `${returns[0].month} .. ${returns[returns.length - 1].month}`;
  if (check) {
    let onDisk = '';
    try {
      onDisk = readFileSync(file, 'utf8');
    } catch {}
    const same = onDisk === text;
    if (!same) failed = true;
    console.log(`${same ? 'ok     ' : 'DIFFERS'} ${file} (${returns.length} rows, ${range})`);
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${file} (${returns.length} rows, ${range})`);
  }
}
if (failed) process.exit(1);
