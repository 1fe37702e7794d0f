// Serves the built web app (dist/web): hashed assets cached for a year, the
// HTML shell never cached, and every non-API GET answered with the shell so
// client-side routes (/join/:token, /b/:id) work on reload.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { App } from './types.js'

const NOT_WEB = /^\/(api|collab|socket\.io|healthz|readyz|metrics)(\/|$|\?)/

export async function webRoutes(app: App, webDir: string): Promise<boolean> {
  if (!existsSync(join(webDir, 'index.html'))) return false
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    index: false,
    wildcard: true,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('cache-control', path.includes(`${join(webDir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
  // The static plugin treats "/" as a directory (refused without an index);
  // the app's front page is the shell.
  app.get('/', (_request, reply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html'))
  return true
}

/** Answers a request no route matched with the app shell, if it is a page request. */
export function serveShell(request: FastifyRequest, reply: FastifyReply): boolean {
  const path = request.url.split('?')[0]!
  if ((request.method !== 'GET' && request.method !== 'HEAD') || NOT_WEB.test(path)) return false
  void reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html')
  return true
}
