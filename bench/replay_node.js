// Replay an NDJSON corpus through the official Node SDK (@customerio/cdp-analytics-node).
//
//   SINK_URL=http://127.0.0.1:PORT CIO_WRITE_KEY=bench-key node bench/replay_node.js CORPUS.ndjson
//
// One call per line (track, identify or page, with its ids, properties or
// traits, name, context, timestamp and messageId), then closeAndFlush().
// Settings: flushInterval 100 ms (default 10 s); maxEventsInBatch stays at its
// default (15). The SDK posts to <host>/v1/batch. closeAndFlush() is given no
// time limit ({timeout: 0}): its default is 1.25 x flushInterval, which would
// return long before a big backlog is out. Prints a JSON summary on stdout.
'use strict'
const fs = require('fs')
const readline = require('readline')
const { Analytics } = require('@customerio/cdp-analytics-node')

async function main() {
  const analytics = new Analytics({
    writeKey: process.env.CIO_WRITE_KEY,
    host: process.env.SINK_URL,
    flushInterval: 100,
  })
  let failed = 0
  let firstError = null
  analytics.on('error', (err) => {
    failed++
    if (!firstError) firstError = String((err && err.reason) || err)
  })

  const lines = readline.createInterface({
    input: fs.createReadStream(process.argv[2], { encoding: 'utf8' }),
    crlfDelay: Infinity,
  })
  let sent = 0
  for await (const line of lines) {
    if (!line.trim()) continue
    const d = JSON.parse(line)
    const common = {
      userId: d.userId,
      anonymousId: d.anonymousId,
      context: d.context,
      timestamp: d.timestamp,
      messageId: d.messageId,
    }
    switch (d.type) {
      case 'track':
        analytics.track({ ...common, event: d.event, properties: d.properties })
        break
      case 'identify':
        analytics.identify({ ...common, traits: d.traits })
        break
      case 'page':
        analytics.page({ ...common, name: d.name, properties: d.properties })
        break
      default:
        throw new Error(`unsupported type ${d.type}`)
    }
    sent++
  }
  await analytics.closeAndFlush({ timeout: 0 })
  console.log(JSON.stringify({ enqueued: sent, failed_calls: failed, first_error: firstError }))
  process.exitCode = failed ? 1 : 0
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
