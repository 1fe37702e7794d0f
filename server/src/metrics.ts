// Prometheus metrics (prom-client), one registry per app so several apps can
// live in one process (tests). Served at /metrics, behind METRICS_TOKEN when set.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RefusalReason } from '../../shared/constants.js'

export class Metrics {
  readonly registry = new Registry()
  readonly connections: Gauge
  readonly rooms: Gauge
  readonly updates: Counter<'result'>
  readonly refused: Counter<'reason'>
  readonly updateBytes: Counter
  readonly awareness: Counter
  readonly broadcastFrames: Counter
  readonly logBatch: Histogram
  readonly logCommit: Histogram
  readonly logLag: Histogram
  readonly compactions: Counter<'read_by' | 'merged_by'>
  readonly compactionSeconds: Histogram
  readonly sweeperDeleted: Counter
  readonly sweeperWarnings: Counter
  readonly http: Histogram<'method' | 'route' | 'status'>
  readonly socketio: Gauge
  readonly dbConnections: Gauge

  /** Where the scrape-time gauges read from: each component registers its own (see readFrom). */
  private readonly sources: { connections: () => number; rooms: () => number; sockets: () => number; dbConnections: () => number } = {
    connections: () => 0,
    rooms: () => 0,
    sockets: () => 0,
    dbConnections: () => 0,
  }

  constructor() {
    const sources = this.sources
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: '', eventLoopMonitoringPrecision: 20 })
    // Read at scrape time from the component that owns the number.
    const sampled = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read())
        },
      })
    this.connections = sampled('drawbridge_collab_connections', 'Open /collab WebSocket connections', () => sources.connections())
    this.rooms = sampled('drawbridge_rooms_open', 'Boards loaded in memory (rooms)', () => sources.rooms())
    this.socketio = sampled('drawbridge_socketio_connections', 'Open socket.io connections', () => sources.sockets())
    // The pool opens connections under load and closes them after 10 s idle: part of the process's open handles.
    this.dbConnections = sampled('drawbridge_db_connections', 'Open PostgreSQL pool connections (0 on the embedded database)', () => sources.dbConnections())
    this.updates = new Counter({ name: 'drawbridge_updates_total', help: 'Yjs updates by result', labelNames: ['result'], registers })
    this.refused = new Counter({ name: 'drawbridge_updates_refused_total', help: 'Yjs updates refused, by reason', labelNames: ['reason'], registers })
    this.updateBytes = new Counter({ name: 'drawbridge_update_bytes_total', help: 'Bytes of accepted Yjs updates', registers })
    this.awareness = new Counter({ name: 'drawbridge_presence_messages_total', help: 'Presence (awareness) messages relayed', registers })
    this.broadcastFrames = new Counter({ name: 'drawbridge_broadcast_frames_total', help: 'Update frames sent to peers', registers })
    this.logBatch = new Histogram({
      name: 'drawbridge_log_batch_size',
      help: 'Updates per durable-log commit (group commit)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    })
    this.logCommit = new Histogram({
      name: 'drawbridge_log_commit_seconds',
      help: 'Time to commit one batch to the durable log',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    })
    this.logLag = new Histogram({
      name: 'drawbridge_log_lag_seconds',
      help: 'Time from accepting an update to it being durable',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
    this.compactions = new Counter({
      name: 'drawbridge_compactions_total',
      help: 'Log compactions into snapshots, by who read the log (the merge worker, PostgreSQL only, or the main thread) and who merged it (the merge worker, or the main thread for a small board on the embedded database); on the embedded database with one instance, live/live: the loaded board\'s own document was the snapshot, memory/worker: a big board\'s last snapshot and the updates since, kept in memory, merged by the worker',
      labelNames: ['read_by', 'merged_by'],
      registers,
    })
    this.compactionSeconds = new Histogram({
      name: 'drawbridge_compaction_seconds',
      help: 'Duration of a compaction',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.sweeperDeleted = new Counter({ name: 'drawbridge_sweeper_deleted_total', help: 'Expired ownerless boards deleted', registers })
    this.sweeperWarnings = new Counter({ name: 'drawbridge_sweeper_warnings_total', help: 'Expiry warnings sent', registers })
    this.http = new Histogram({
      name: 'drawbridge_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
  }

  /** The hooks the collaboration room reports through. */
  /** A component that started registers the numbers it owns. */
  readFrom(sources: Partial<Metrics['sources']>): void {
    Object.assign(this.sources, sources)
  }

  roomHooks() {
    return {
      updateAccepted: (bytes: number) => {
        this.updates.inc({ result: 'accepted' })
        this.updateBytes.inc(bytes)
      },
      updateRefused: (reason: RefusalReason) => {
        this.updates.inc({ result: 'refused' })
        this.refused.inc({ reason })
      },
      awarenessRelayed: () => this.awareness.inc(),
      broadcast: () => this.broadcastFrames.inc(),
    }
  }
}
