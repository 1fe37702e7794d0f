// Builds the web app into dist/web, where the server serves it (hashed files
// under assets/ are cached for a year, so names must change with content).
// JSX is compiled by Vite's own oxc transform (React's automatic runtime):
// no framework plugin is needed for a production build.
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

const here = fileURLToPath(new URL('.', import.meta.url))
const outDir = fileURLToPath(new URL('../../dist/web', import.meta.url))

// Excalidraw fetches its fonts at run time from window.EXCALIDRAW_ASSET_PATH
// (and from a CDN when that fails). They are served from our own origin, in a
// folder named after the package version: the folder is under assets/ (cached
// for a year), so an upgrade must change its name.
const excalidrawDir = dirname(createRequire(import.meta.url).resolve('@excalidraw/excalidraw'))
const excalidrawVersion = (JSON.parse(readFileSync(join(excalidrawDir, '../../package.json'), 'utf8')) as { version: string }).version
export const EXCALIDRAW_ASSET_PATH = `/assets/excalidraw-${excalidrawVersion}/`

// Excalidraw lists a CDN copy after our asset path in every font's sources;
// the browser would still ask it (the CSP blocks it and logs an error). The
// fallback becomes our own path too; should a new version change that code,
// the build fails rather than ship a page that calls a CDN.
const CDN_FALLBACK = /"ASSETS_FALLBACK_URL",\s*`https:\/\/esm\.sh\/.*?\/dist\/(prod|dev)\/`/

function excalidrawAssets(): Plugin {
  return {
    name: 'drawbridge-excalidraw-assets',
    transform(code, id) {
      if (!id.includes('@excalidraw/excalidraw/dist/') || !code.includes('ASSETS_FALLBACK_URL')) return null
      if (!CDN_FALLBACK.test(code)) throw new Error(`${id}: Excalidraw's font fallback changed; check vite.config.ts`)
      return { code: code.replace(CDN_FALLBACK, '"ASSETS_FALLBACK_URL",new URL(window.EXCALIDRAW_ASSET_PATH||"/",location.origin).href'), map: null }
    },
    configureServer(server) {
      // `npm run dev:web`: the same URLs, straight from the package.
      server.middlewares.use(EXCALIDRAW_ASSET_PATH, (req, res, next) => {
        const file = join(excalidrawDir, decodeURIComponent((req.url ?? '').split('?')[0]!))
        if (!file.startsWith(excalidrawDir) || !existsSync(file)) return next()
        res.setHeader('content-type', 'font/woff2')
        res.end(readFileSync(file))
      })
    },
    writeBundle(_options, bundle) {
      for (const out of Object.values(bundle)) {
        if (out.type === 'chunk' && out.code.includes('https://esm.sh/')) this.error(`${out.fileName} still loads from a CDN; check vite.config.ts`)
      }
      const target = join(outDir, EXCALIDRAW_ASSET_PATH, 'fonts')
      if (!existsSync(target)) cpSync(join(excalidrawDir, 'fonts'), target, { recursive: true })
    },
  }
}

// Excalidraw 0.18 runs a requestAnimationFrame loop from the moment the canvas
// mounts until it unmounts, to draw other people's laser-pointer trails
// (LaserTrails.onFrame never asks to stop). An idle board tab thus kept a
// core ~10% busy in Chromium (measured: 42 CPU ticks in 5 s against 4 without
// the loop). Drawbridge never shows remote laser trails (presence-sync.ts
// gives every collaborator the "pointer" tool), so the loop stops after its
// first frame unless a collaborator holds a laser; the local laser and the
// eraser have their own trails, which start and stop themselves.
// Upstream fixed this after 0.18.1 (excalidraw/excalidraw#11377): should an
// upgrade change that code, the build fails here, to be looked at again.
const LASER_LOOP = /onFrame\(\)\s*\{\s*this\.updateCollabTrails\(\);?\s*\}/

function excalidrawIdleLoop(): Plugin {
  return {
    name: 'drawbridge-excalidraw-idle-loop',
    transform(code, id) {
      if (!id.includes('@excalidraw/excalidraw/dist/') || !code.includes('updateCollabTrails')) return null
      if (!LASER_LOOP.test(code)) throw new Error(`${id}: Excalidraw's laser-trail loop changed; check vite.config.ts`)
      const stopUnlessLaser = 'onFrame(){this.updateCollabTrails();for(const c of this.app.state.collaborators.values())if(c.pointer?.tool==="laser")return false;return true}'
      return { code: code.replace(LASER_LOOP, stopUnlessLaser), map: null }
    },
  }
}

export default defineConfig({
  root: here,
  plugins: [excalidrawAssets(), excalidrawIdleLoop()],
  define: {
    __EXCALIDRAW_ASSET_PATH__: JSON.stringify(EXCALIDRAW_ASSET_PATH),
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
    // Excalidraw is one big chunk, loaded only on board pages.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      onwarn(warning, warn) {
        // Excalidraw's UI library marks its modules "use client" (a server-components hint); nothing to do here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
    },
  },
  server: {
    // `vite --config client/web/vite.config.ts` during development, with the API on :3000.
    proxy: {
      '/api': 'http://localhost:3000',
      '/collab': { target: 'ws://localhost:3000', ws: true },
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
})
