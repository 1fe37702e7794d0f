import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export const BoardParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
export const Role = Type.Union([Type.Literal('editor'), Type.Literal('reviewer'), Type.Literal('reader')])
export const Kind = Type.Union([Type.Literal('user'), Type.Literal('guest')])
