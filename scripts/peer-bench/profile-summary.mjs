// Summarises a V8 .cpuprofile (from DRAWBRIDGE_PROFILE runs): self time by area
// (a package, one of our source directories, GC, idle) and the top functions.
//   node scripts/peer-bench/profile-summary.mjs <file.cpuprofile> [top] [last-seconds | from-to]
// With last-seconds, only the samples of that many seconds before the profile
// ended count (the load phase, without start-up and the adapter's preparation);
// with from-to (seconds since the profile started, e.g. 9-19) only that window.
import fs from 'node:fs'

process.stdout.on('error', () => process.exit(0))
const [file, topArg, lastArg] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: profile-summary.mjs <file.cpuprofile> [top]\n')
  process.exit(2)
}
const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const self = new Map()
const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(lastArg ?? '')
const from = range ? prof.startTime + Number(range[1]) * 1e6 : lastArg ? prof.endTime - Number(lastArg) * 1e6 : -Infinity
const until = range ? prof.startTime + Number(range[2]) * 1e6 : Infinity
// Busy stretches: consecutive samples outside (idle), i.e. how long the event
// loop was held at once. The longest ones are what a p99 latency waits behind.
const stretches = []
let current = null
let at = prof.startTime
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0
  at += dt
  if (at < from || at > until) continue
  const id = prof.samples[i]
  self.set(id, (self.get(id) ?? 0) + dt)
  const idle = byId.get(id).callFrame.functionName === '(idle)'
  if (idle) {
    if (current) stretches.push(current)
    current = null
  } else {
    current ??= { startUs: at - prof.startTime, us: 0, where: new Map() }
    current.us += dt
    const w = ourFrame(id)
    current.where.set(w, (current.where.get(w) ?? 0) + dt)
  }
}
if (current) stretches.push(current)

/** The innermost frame of our own code on the sample's stack, else its leaf. */
function ourFrame(id) {
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const f = byId.get(n).callFrame
    const m = f.url.match(/dist\/((?:server\/src|shared)\/.*)$/)
    if (m) return `${f.functionName || '(anonymous)'} ${m[1]}:${f.lineNumber + 1}`
  }
  const f = byId.get(id).callFrame
  return `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`
}
const total = [...self.values()].reduce((a, b) => a + b, 0)

function area(frame) {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : '(native) ' + functionName
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (pkg) return pkg[1]
  const ours = url.match(/dist\/(server\/src\/[^/]+|shared)\//)
  if (ours) return ours[1]
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node:internal')
  return url
}

const areas = new Map()
const fns = new Map()
for (const [id, us] of self) {
  const { callFrame } = byId.get(id)
  const a = area(callFrame)
  areas.set(a, (areas.get(a) ?? 0) + us)
  const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`
  fns.set(key, (fns.get(key) ?? 0) + us)
}
const pct = (us) => ((us / total) * 100).toFixed(1).padStart(5) + '%'
const busy = total - (areas.get('(idle)') ?? 0)
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n\nby area (share of busy time):\n`)
for (const [a, us] of [...areas].filter(([a]) => a !== '(idle)').sort((x, y) => y[1] - x[1]).slice(0, 25)) {
  process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${a}\n`)
}
process.stdout.write(`\ntop functions (self, share of all samples):\n`)
for (const [f, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 30))) process.stdout.write(`${pct(us)}  ${f}\n`)

// WINDOW=from,to (seconds since the profile started) limits the list to the load phase.
const [wFrom, wTo] = (process.env.WINDOW ?? '0,1e9').split(',').map(Number)
const longest = stretches
  .filter((st) => st.startUs >= wFrom * 1e6 && st.startUs <= wTo * 1e6)
  .sort((a, b) => b.us - a.us)
  .slice(0, Number(process.env.STRETCHES ?? 12))
process.stdout.write(`\nlongest busy stretches (the event loop held at once; ${stretches.length} in all):\n`)
for (const st of longest) {
  const top = [...st.where].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([w, us]) => `${w} ${((us / st.us) * 100).toFixed(0)}%`)
  process.stdout.write(`${(st.us / 1000).toFixed(1).padStart(7)} ms at ${(st.startUs / 1e6).toFixed(2)} s: ${top.join('; ')}\n`)
}
