import { createRoot } from 'react-dom/client'
import { App } from './app.js'
import './styles.css'

// Before Excalidraw is ever loaded: its fonts come from this server, never from a CDN.
window.EXCALIDRAW_ASSET_PATH = __EXCALIDRAW_ASSET_PATH__

createRoot(document.getElementById('app')!).render(<App />)
