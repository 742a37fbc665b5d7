// json-rules-engine 7 baseline for benchmarks/bench.py: decide each partner's tier of the shipped
// program (policies/messagelabs-apac.json), tier only, no explanation, one engine.run per record.
//
//   node tier.js PARTNERS.jsonl [RUNS]
//
// Prints {"rate_median", "rates", "cpu_rate_median", "records", "tiers"}: records/s by the clock over
// each run and per CPU-second of this process (file reading and parsing excluded) and, from the
// last run, how many records got each tier ("" = none). One untimed pass over the records comes
// first: V8 compiles hot code only after it has run, and the figure is a warm engine's.
'use strict'
const fs = require('fs')
const { Engine } = require('json-rules-engine')

// One rule per tier; the highest level among the rules that fire wins.
const TIERS = [
  ['alliance_partner', 5, 'annual_sales_usd', 1000000],
  ['premier_certified', 4, 'annual_sales_usd', 100000],
  ['certified_partner', 3, 'annual_sales_usd', 25000],
  ['premium_associate', 2, 'referrals_this_year', 5],
  ['associate_partner', 1, 'referrals_this_year', 1]
]

function buildEngine () {
  // allowUndefinedFacts: a missing fact makes its condition false instead of throwing; a null
  // fails the operator's number check the same way. No record is skipped.
  const engine = new Engine([], { allowUndefinedFacts: true })
  for (const [tier, level, fact, value] of TIERS) {
    engine.addRule({
      name: tier,
      priority: level,
      conditions: { all: [{ fact, operator: 'greaterThanInclusive', value }] },
      event: { type: tier, params: { level } }
    })
  }
  return engine
}

async function decide (engine, records) {
  const tiers = new Array(records.length)
  for (let i = 0; i < records.length; i++) {
    const { events } = await engine.run(records[i])
    let best = null
    for (const event of events) {
      if (best === null || event.params.level > best.params.level) best = event
    }
    tiers[i] = best === null ? '' : best.type
  }
  return tiers
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function main () {
  const [path, runsArg] = process.argv.slice(2)
  if (!path) {
    process.stderr.write('usage: node tier.js PARTNERS.jsonl [RUNS]\n')
    process.exit(2)
  }
  const runs = Math.max(1, parseInt(runsArg || '5', 10))
  const records = fs.readFileSync(path, 'utf8').split('\n').filter(line => line.trim()).map(line => JSON.parse(line))
  const engine = buildEngine()
  await decide(engine, records)
  const rates = []
  const cpuRates = []
  let tiers = []
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint()
    const cpu = process.cpuUsage()
    tiers = await decide(engine, records)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const used = process.cpuUsage(cpu)
    rates.push(records.length / seconds)
    cpuRates.push(records.length / Math.max((used.user + used.system) / 1e6, 1e-9))
  }
  const counts = {}
  for (const t of tiers) counts[t] = (counts[t] || 0) + 1
  process.stdout.write(JSON.stringify({
    rate_median: median(rates), rates, cpu_rate_median: median(cpuRates), records: records.length, tiers: counts
  }) + '\n')
}

main().catch(err => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
