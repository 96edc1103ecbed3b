// The DuckDB side of bench/duckdb-peer (which exports the CSV files and
// runs this): loads them into in-memory tables, times the benchmark's three
// questions warm with threads=1 and with DuckDB's default threads, and
// compares its answers with the library's (library.digest, written by
// analytics_bench --digest; the line format is bench/analytics_digest.h's).
//
//   node duckdb_peer.mjs DIR RUNS LIBRARY_MS
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [dir, runsArg, libArg] = process.argv.slice(2);
const runs = Number(runsArg);
const libMs = Number(libArg);

// The same questions as analytics_bench's lib_queries[] and sql_run().
const questions = [
  // funnel of pipeline 1 by owner: deals that entered each stage in 2025
  `SELECT o.owner_id, h.stage_id, count(DISTINCT h.opp_id)
   FROM hist h JOIN opp o ON o.id = h.opp_id JOIN stage s ON s.id = h.stage_id
   WHERE o.pipeline_id = 1 AND s.pipeline_id = 1
     AND h.at >= 1735689600 AND h.at < 1767225600
   GROUP BY o.owner_id, h.stage_id`,
  // win rate by owner: won, lost, won amount
  `SELECT owner_id, count(*) FILTER (WHERE status = 'won'),
          count(*) FILTER (WHERE status = 'lost'),
          sum(amount) FILTER (WHERE status = 'won')
   FROM opp GROUP BY owner_id`,
  // cycle by owner for won and lost: count, seconds, median seconds
  `SELECT owner_id, status = 'lost', count(*), sum(closed_at - opened),
          median(closed_at - opened)
   FROM opp WHERE status IN ('won', 'lost') AND closed_at IS NOT NULL AND opened IS NOT NULL
   GROUP BY owner_id, status = 'lost'`,
];

// num * 10^6 / den in ppm, rounded half-even once (bigints), as the library
function ppm(num, den) {
  const n = BigInt(num) * 1000000n;
  let q = n / den, r = n % den;
  if (r < 0n) {
    q -= 1n;
    r += den;
  }
  if (2n * r > den || (2n * r === den && q % 2n !== 0n)) q += 1n;
  return q;
}

const show = (v) => (v === null ? '-' : String(v));

function digest(rows) {
  const lines = [];
  for (const [owner, stage, deals] of rows[0])
    lines.push(`funnel ${show(owner)} ${stage} ${deals}`);
  for (const [owner, won, lost, amount] of rows[1])
    lines.push(`win ${show(owner)} ${won} ${lost} ${show(amount)}`);
  for (const [owner, lost, n, sum, median] of rows[2]) {
    // the median of an even count is the mean of the two middle values:
    // a double with at most a half, so twice it is exact
    const mid2 = BigInt(Math.round(median * 2));
    lines.push(`cycle ${show(owner)} ${lost ? 'lost' : 'won'} ${n} ` +
               `${ppm(sum, BigInt(n) * 86400n)} ${ppm(mid2, 2n * 86400n)}`);
  }
  return lines.sort();
}

async function ask(con) {
  const rows = [];
  for (const q of questions) rows.push((await con.runAndReadAll(q)).getRows());
  return rows;
}

async function bestOf(con) {
  let wall = Infinity, cpu = Infinity;
  await ask(con); // warm: the first run after a setting pays for plans and caches
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await ask(con);
    const t = performance.now() - t0, c = process.cpuUsage(c0);
    wall = Math.min(wall, t);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
let t0 = performance.now();
await con.run(`CREATE TABLE stage AS SELECT * FROM read_csv('${dir}/stage.csv', header = true,
  columns = {'id': 'INTEGER', 'pipeline_id': 'INTEGER'})`);
await con.run(`CREATE TABLE opp AS SELECT * FROM read_csv('${dir}/opp.csv', header = true,
  columns = {'id': 'INTEGER', 'owner_id': 'INTEGER', 'pipeline_id': 'INTEGER',
             'status': 'VARCHAR', 'amount': 'BIGINT', 'opened': 'BIGINT', 'closed_at': 'BIGINT'})`);
await con.run(`CREATE TABLE hist AS SELECT * FROM read_csv('${dir}/hist.csv', header = true,
  columns = {'opp_id': 'INTEGER', 'stage_id': 'INTEGER', 'at': 'BIGINT'})`);
const counts = (await con.runAndReadAll(
  'SELECT (SELECT count(*) FROM opp), (SELECT count(*) FROM hist)')).getRows()[0];
console.log(`duckdb-peer: DuckDB ${version} loaded ${counts[0]} deals and ${counts[1]} ` +
            `stage rows in ${(performance.now() - t0).toFixed(0)} ms (not timed below)`);

// the answers first: a peer that answers another question has no figure
const theirs = digest(await ask(con));
const ours = readFileSync(`${dir}/library.digest`, 'utf8').split('\n').filter((l) => l);
let i = 0;
while (i < ours.length && i < theirs.length && ours[i] === theirs[i]) i++;
if (i < ours.length || i < theirs.length) {
  const [side, line, other] = i === theirs.length || (i < ours.length && ours[i] < theirs[i])
    ? ['the library', ours[i], 'DuckDB'] : ['DuckDB', theirs[i], 'the library'];
  console.error(`duckdb-peer: answers differ: ${side} has "${line}", ${other} does not`);
  process.exit(1);
}
console.log(`answers agree: DuckDB and the library give the same ${ours.length} cells ` +
            '(funnel counts, won, lost, won amounts, cycle counts, means and medians)');

await con.run('SET threads = 1');
const one = await bestOf(con);
await con.run('RESET threads');
const nthreads = (await con.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0];
const all = await bestOf(con);
const ratio = (x) => (Number.isFinite(libMs) && libMs > 0 ? (libMs / x.wall).toFixed(3) : '?');
console.log('funnel + win rate + median cycle by owner, warm, best of ' + runs +
            ', ms wall (CPU of the process, all threads):');
const fig = (x) => `${x.wall.toFixed(2).padStart(8)} (${x.cpu.toFixed(2).padStart(8)})` +
  `  ratio of the library to it ${ratio(x)}`;
console.log('  DuckDB, 1 thread:'.padEnd(36) + fig(one));
console.log(`  DuckDB, ${nthreads} threads (its default):`.padEnd(36) + fig(all));
con.closeSync();
