import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { FileService } from '../boards/file-service.js'
import { badRequest } from '../errors.js'
import type { App } from './types.js'

const FileParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  fileId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
})

export function fileRoutes(app: App, { files, maxFileBytes }: { files: FileService; maxFileBytes: number }): void {
  // Files may be bigger than ordinary requests: only these routes take raw bodies.
  app.register(async (scope) => {
    const routes = scope.withTypeProvider<TypeBoxTypeProvider>()
    // Whatever the request calls it, the bytes decide its type (see file-service).
    routes.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxFileBytes }, (_request, body, done) => done(null, body))

    routes.put('/api/boards/:id/files/:fileId', { bodyLimit: maxFileBytes, schema: { params: FileParams } }, async (request, reply) => {
      if (!(request.body instanceof Buffer) || request.body.length === 0) throw badRequest('body: the file, as raw bytes')
      const { file, fresh } = await files.upload(await request.principal(), request.params.id, request.params.fileId, new Uint8Array(request.body))
      return reply.status(fresh ? 201 : 200).send({ file })
    })

    routes.get('/api/boards/:id/files/:fileId', { schema: { params: FileParams } }, async (request, reply) => {
      const { mimeType, data } = await files.read(await request.principal(), request.params.id, request.params.fileId)
      return (
        reply
          .header('content-type', mimeType)
          // Never run as anything but a picture, never framed, never sniffed.
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('content-disposition', 'inline')
          // Ids are content hashes: the bytes behind one never change; access may, so private.
          .header('cache-control', 'private, max-age=31536000, immutable')
          .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
      )
    })
  })
}
