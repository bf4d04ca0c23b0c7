// The Polars side of the engine benchmark (bench/engine.sh): one query on the employees CSV,
// printing the same short result as bench-engine so answers can be compared. Polars sizes its
// thread pool from POLARS_MAX_THREADS when the process starts, so the caller sets it.
// Usage: POLARS_MAX_THREADS=N node polars.mjs Q1|Q2|Q3|Q4 PATH [OUT_DIR]
import pl from 'nodejs-polars';

const [query, path, out] = process.argv.slice(2);
if (!query || !path) {
  console.error('usage: POLARS_MAX_THREADS=N node polars.mjs Q1|Q2|Q3|Q4 PATH [OUT_DIR]');
  process.exit(2);
}
const lf = pl.scanCSV(path, { hasHeader: true });

switch (query) {
  case 'Q1': {
    const df = await lf.filter(pl.col('salary').gt(50000)).select(pl.len().alias('n')).collect();
    console.log(`rows=${df.getColumn('n').get(0)}`);
    break;
  }
  case 'Q2': {
    const df = await lf.filter(pl.col('age').gt(30)).groupBy('city')
      .agg(pl.len().alias('n')).collect();
    console.log(`groups=${df.height} total=${df.getColumn('n').sum()}`);
    break;
  }
  case 'Q3': {
    const df = await lf.groupBy('department')
      .agg(pl.col('salary').sum().alias('s'), pl.col('age').mean().alias('a')).collect();
    console.log(`groups=${df.height} sum=${df.getColumn('s').sum()}`);
    break;
  }
  case 'Q4': {
    if (!out) {
      console.error('polars.mjs: Q4 needs OUT_DIR');
      process.exit(2);
    }
    await lf.filter(pl.col('age').gt(30))
      .sinkCSV(out + '/part-0.csv', { includeHeader: false, mkdir: true }).collect();
    console.log(`written=${out}`);
    break;
  }
  default:
    console.error(`polars.mjs: unknown query '${query}'`);
    process.exit(2);
}
