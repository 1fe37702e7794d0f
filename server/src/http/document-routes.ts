// The document API (docs/API.md, "Document API"): a board's elements as JSON;
// adding, changing and deleting them through the live path (guard, limits,
// roles, broadcast), as the caller.
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { principalKey } from '../auth/principals.js'
import { type DocumentService, MAX_NEW_ELEMENTS } from '../boards/document-service.js'
import { MAX_FIELD_KEY, MAX_FIELDS } from '../boards/elements.js'
import { BoardParams, type App } from './types.js'

/**
 * Writes per minute per principal. Each one copies the live document to make
 * its update against, so they are bounded like a live client's update work;
 * a batch (`POST` with many elements) counts once.
 */
export const DOCUMENT_WRITES_PER_MINUTE = 600

const Root = Type.Union([Type.Literal('shapes'), Type.Literal('markup')])
// Any key a client may have written (the guard allows keys up to 1,024 characters).
const ElementParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), elementId: Type.String({ minLength: 1, maxLength: 1024 }) })
const RootQuery = Type.Object({ root: Type.Optional(Root) })
/** An element's stored fields; the service checks names, `type`, what is never stored, nesting. */
const Fields = Type.Record(Type.String({ minLength: 1, maxLength: MAX_FIELD_KEY }), Type.Unknown(), { maxProperties: MAX_FIELDS })
const NewElement = Type.Object(
  { id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), root: Type.Optional(Root), fields: Fields },
  { additionalProperties: false },
)
const AddBody = Type.Object({ elements: Type.Array(NewElement, { minItems: 1, maxItems: MAX_NEW_ELEMENTS }) }, { additionalProperties: false })
const ChangeBody = Type.Object(
  { set: Type.Optional(Fields), unset: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: MAX_FIELD_KEY }), { maxItems: MAX_FIELDS, uniqueItems: true })) },
  { additionalProperties: false },
)

export function documentRoutes(app: App, { documents }: { documents: DocumentService }): void {
  const perPrincipal = {
    max: DOCUMENT_WRITES_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: async (request: FastifyRequest) => {
      const p = await request.optionalPrincipal().catch(() => null)
      return p ? `document:${principalKey(p)}` : `document:ip:${request.ip}`
    },
  }

  app.get('/api/boards/:id/elements', { schema: { params: BoardParams, querystring: RootQuery } }, async (request) => ({
    elements: await documents.list(await request.principal(), request.params.id, request.query.root),
  }))

  app.get('/api/boards/:id/elements/:elementId', { schema: { params: ElementParams, querystring: RootQuery } }, async (request) => ({
    element: await documents.get(await request.principal(), request.params.id, request.params.elementId, request.query.root),
  }))

  app.post('/api/boards/:id/elements', { config: { rateLimit: perPrincipal }, schema: { params: BoardParams, body: AddBody } }, async (request, reply) =>
    reply.status(201).send({ elements: await documents.add(await request.principal(), request.params.id, request.body.elements) }),
  )

  app.patch(
    '/api/boards/:id/elements/:elementId',
    { config: { rateLimit: perPrincipal }, schema: { params: ElementParams, querystring: RootQuery, body: ChangeBody } },
    async (request) => ({
      element: await documents.change(await request.principal(), request.params.id, request.params.elementId, request.query.root, request.body),
    }),
  )

  app.delete(
    '/api/boards/:id/elements/:elementId',
    { config: { rateLimit: perPrincipal }, schema: { params: ElementParams, querystring: RootQuery } },
    async (request, reply) => {
      await documents.remove(await request.principal(), request.params.id, request.params.elementId, request.query.root)
      return reply.status(204).send()
    },
  )
}
