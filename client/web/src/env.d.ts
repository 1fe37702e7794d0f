/// <reference types="vite/client" />

/** Where Excalidraw's fonts are served from (set by vite.config.ts). */
declare const __EXCALIDRAW_ASSET_PATH__: string

interface Window {
  /** Read by Excalidraw when it loads fonts. */
  EXCALIDRAW_ASSET_PATH?: string
}
