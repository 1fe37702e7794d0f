import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { type BoardImport, EXPORT_FORMAT, EXPORT_VERSION, IMPORT_LIMITS, type TransferService } from '../transfer/transfer-service.js'
import { badRequest, guestForbidden } from '../errors.js'
import { BoardParams, type App } from './types.js'

const filename = (title: string, ext: string) =>
  `${title.replace(/[^\p{L}\p{N} ._-]+/gu, '').trim().slice(0, 80) || 'board'}.${ext}`

const Document = Type.Object({
  shapes: Type.Record(Type.String(), Type.Unknown()),
  markup: Type.Record(Type.String(), Type.Unknown()),
  meta: Type.Record(Type.String(), Type.Unknown()),
})
// Of the author only the name is used (as display text; the importer becomes
// the author). Lengths are generous so that the service's checks, the same
// as for new comments, answer with the precise reason.
const Author = Type.Object({ name: Type.String({ maxLength: 1000 }) })
const Comment = {
  author: Author,
  importedAuthor: Type.Optional(Type.String({ maxLength: 1000 })),
  body: Type.String({ maxLength: 50_000 }),
  mentions: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
  createdAt: Type.String({ maxLength: 40 }),
}
// As for new comments: a point or a shape, nothing else.
const Anchor = Type.Union([
  Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false }),
  Type.Object({ shapeId: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
])
const ExportBody = Type.Object({
  format: Type.Literal(EXPORT_FORMAT),
  version: Type.Literal(EXPORT_VERSION),
  board: Type.Object({ title: Type.String({ maxLength: 1000 }) }),
  document: Document,
  files: Type.Optional(
    Type.Record(Type.String({ maxLength: 128 }), Type.Object({ mimeType: Type.String({ maxLength: 100 }), dataURL: Type.String({ maxLength: 8 * 1024 * 1024 }) })),
  ),
  comments: Type.Optional(
    Type.Array(
      Type.Object({
        ...Comment,
        anchor: Anchor,
        resolved: Type.Optional(Type.Boolean()),
        replies: Type.Optional(Type.Array(Type.Object(Comment), { maxItems: IMPORT_LIMITS.repliesPerThread })),
      }),
      { maxItems: IMPORT_LIMITS.threads },
    ),
  ),
})

const exportValidator = Compile(ExportBody)

export function transferRoutes(app: App, { transfers, maxImportBytes }: { transfers: TransferService; maxImportBytes: number }): void {
  app.get(
    '/api/boards/:id/export',
    { schema: { params: BoardParams, querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('yjs')])) }) } },
    async (request, reply) => {
      const principal = await request.principal()
      if (request.query.format === 'yjs') {
        const { data, title } = await transfers.exportYjs(principal, request.params.id)
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(filename(title, 'yjs'))}`)
          .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
      }
      const body = await transfers.exportJson(principal, request.params.id)
      return reply
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(filename(body.board.title, 'json'))}`)
        .send(body)
    },
  )

  // Imports may be bigger than ordinary requests; only this route accepts them.
  app.register(async (scope) => {
    const imports = scope.withTypeProvider<TypeBoxTypeProvider>()
    imports.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxImportBytes }, (_request, body, done) =>
      done(null, body),
    )
    imports.post(
      '/api/boards/import',
      { bodyLimit: maxImportBytes, schema: { querystring: Type.Object({ title: Type.Optional(Type.String({ maxLength: 1000 })) }) } },
      async (request, reply) => {
        const principal = await request.principal()
        if (principal.kind !== 'user') throw guestForbidden('Importing needs a registered account')
        const body: unknown = request.body
        if (body instanceof Buffer) {
          return reply.status(201).send({ board: await transfers.importYjs(principal, new Uint8Array(body), request.query.title) })
        }
        if (!exportValidator.Check(body)) {
          const first = [...exportValidator.Errors(body)][0] as { instancePath?: string; message?: string } | undefined
          const where = first?.instancePath ? `body${first.instancePath.replace(/\//g, '.')}` : 'body'
          throw badRequest(`${where}: must be a ${EXPORT_FORMAT} export (version ${EXPORT_VERSION}) or a binary Yjs update${first?.message ? ` (${first.message})` : ''}`)
        }
        return reply.status(201).send({ board: await transfers.importJson(principal, body as BoardImport) })
      },
    )
  })
}
