// Board history (docs/API.md, "History"): versions, a version's content and
// what changed since, restore and "revert a person".
import { Type } from 'typebox'
import type { HistoryService } from '../history/history-service.js'
import { Kind, type App } from './types.js'

const VersionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), versionId: Type.String({ minLength: 1, maxLength: 64 }) })
const BoardId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export function historyRoutes(app: App, { history }: { history: HistoryService }): void {
  app.get('/api/boards/:id/versions', { schema: { params: BoardId } }, async (request) => history.list(await request.principal(), request.params.id))

  app.post(
    '/api/boards/:id/versions',
    { schema: { params: BoardId, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 80 }) }, { additionalProperties: false }) } },
    async (request, reply) => reply.status(201).send({ version: await history.save(await request.principal(), request.params.id, request.body.name) }),
  )

  app.get(
    '/api/boards/:id/versions/:versionId',
    { schema: { params: VersionParams, querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('yjs')])) }) } },
    async (request, reply) => {
      const format = request.query.format ?? 'json'
      const doc = await history.document(await request.principal(), request.params.id, request.params.versionId, format)
      if (doc instanceof Uint8Array) return reply.header('content-type', 'application/octet-stream').send(Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength))
      return doc
    },
  )

  app.get(
    '/api/boards/:id/versions/:versionId/diff',
    { schema: { params: VersionParams, querystring: Type.Object({ to: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }) } },
    async (request) => history.diff(await request.principal(), request.params.id, request.params.versionId, request.query.to ?? 'live'),
  )

  app.post('/api/boards/:id/versions/:versionId/restore', { schema: { params: VersionParams } }, async (request) =>
    history.restore(await request.principal(), request.params.id, request.params.versionId),
  )

  app.post(
    '/api/boards/:id/history/revert',
    {
      schema: {
        params: BoardId,
        body: Type.Object(
          {
            person: Type.Object({ kind: Kind, id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            dryRun: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => history.revert(await request.principal(), request.params.id, request.body),
  )

  app.get('/api/boards/:id/history/attribution', { schema: { params: BoardId } }, async (request) =>
    history.attribution(await request.principal(), request.params.id),
  )
}
