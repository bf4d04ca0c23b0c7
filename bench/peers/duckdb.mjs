// The DuckDB side of the engine benchmark (bench/engine.sh): one query on the employees CSV with
// N threads, printing the same short result as bench-engine so answers can be compared.
// Usage: node duckdb.mjs Q1|Q2|Q3|Q4 PATH THREADS [OUT_DIR]
import { DuckDBInstance } from '@duckdb/node-api';

const [query, path, threads, out] = process.argv.slice(2);
if (!query || !path || !threads) {
  console.error('usage: node duckdb.mjs Q1|Q2|Q3|Q4 PATH THREADS [OUT_DIR]');
  process.exit(2);
}
const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run(`SET threads = ${Number(threads)}`);
const src = `read_csv(${sqlString(path)}, header = true)`;

switch (query) {
  case 'Q1': {
    const r = await con.runAndReadAll(`SELECT count(*) FROM ${src} WHERE salary > 50000`);
    console.log(`rows=${r.getRows()[0][0]}`);
    break;
  }
  case 'Q2': {
    // Rows come back to the driver, as Weft's collect() does.
    const r = await con.runAndReadAll(
      `SELECT city, count(*) FROM ${src} WHERE age > 30 GROUP BY city`);
    const rows = r.getRows();
    const total = rows.reduce((t, row) => t + BigInt(row[1]), 0n);
    console.log(`groups=${rows.length} total=${total}`);
    break;
  }
  case 'Q3': {
    const r = await con.runAndReadAll(
      `SELECT department, sum(salary), avg(age) FROM ${src} GROUP BY department`);
    const rows = r.getRows();
    const sum = rows.reduce((t, row) => t + BigInt(row[1].toString()), 0n);
    console.log(`groups=${rows.length} sum=${sum}`);
    break;
  }
  case 'Q4': {
    if (!out) {
      console.error('duckdb.mjs: Q4 needs OUT_DIR');
      process.exit(2);
    }
    const fs = await import('node:fs');
    fs.mkdirSync(out, { recursive: true });
    await con.run(`COPY (SELECT * FROM ${src} WHERE age > 30) TO ${sqlString(out + '/part-0.csv')} ` +
                  `(FORMAT csv, HEADER false)`);
    console.log(`written=${out}`);
    break;
  }
  default:
    console.error(`duckdb.mjs: unknown query '${query}'`);
    process.exit(2);
}
