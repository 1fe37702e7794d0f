// Image files live on our server, not in the document: an image element
// holds Excalidraw's file id, its bytes are PUT to
// /api/boards/:id/files/:fileId when it is added, and clients that meet an
// element whose file they lack GET it (with the board's access check) and
// hand it to Excalidraw. A file may arrive a moment after its element, so a
// 404 is retried a few times.
import type { ExcalidrawElement } from '@excalidraw/excalidraw/element/types'
import type { BinaryFileData, DataURL, ExcalidrawImperativeAPI } from '@excalidraw/excalidraw/types'

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']
const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/
const RETRIES = [500, 1500, 4000, 10_000]

/** Decoded here rather than with fetch(): the page's CSP allows no data: connections. */
function blobOf(dataURL: string): Blob {
  const comma = dataURL.indexOf(',')
  const head = dataURL.slice(5, comma)
  const body = dataURL.slice(comma + 1)
  const bytes = head.endsWith(';base64') ? Uint8Array.from(atob(body), (c) => c.charCodeAt(0)) : new TextEncoder().encode(decodeURIComponent(body))
  return new Blob([bytes], { type: head.split(';')[0] })
}

export class BoardFiles {
  private readonly requested = new Set<string>()
  private readonly uploaded = new Set<string>()
  private readonly waiting = new Set<string>()
  private stopped = false

  constructor(
    private readonly api: ExcalidrawImperativeAPI,
    private readonly boardId: string,
    private readonly token: string,
    private readonly onError: (message: string) => void,
    /** A file of a type the server does not take (SVG): its elements must go. */
    private readonly onRefused: (fileId: string) => void,
  ) {}

  private url(fileId: string): string {
    return `/api/boards/${encodeURIComponent(this.boardId)}/files/${encodeURIComponent(fileId)}`
  }

  /** Sends the bytes of a newly added image (once per file id); Excalidraw may add the file a moment after the element. */
  upload(el: ExcalidrawElement): void {
    if (el.type !== 'image' || !el.fileId || this.uploaded.has(el.fileId) || !FILE_ID.test(el.fileId)) return
    this.waiting.add(el.fileId)
    this.tick()
    // Nothing on the scene may change when the file lands, so look again a few times.
    for (const delay of [100, 300, 1000, 3000]) setTimeout(() => !this.stopped && this.tick(), delay)
  }

  /** Uploads files that have arrived since (called on every scene change; cheap when nothing waits). */
  tick(): void {
    if (this.waiting.size === 0) return
    const files = this.api.getFiles()
    for (const fileId of [...this.waiting]) {
      const file = files[fileId]
      if (!file) continue
      this.waiting.delete(fileId)
      if (!IMAGE_TYPES.includes(file.mimeType)) {
        this.onRefused(fileId)
        continue
      }
      this.uploaded.add(fileId)
      void this.send(fileId, file.mimeType, file.dataURL)
    }
  }

  private async send(fileId: string, mimeType: string, dataURL: string): Promise<void> {
    const res = await fetch(this.url(fileId), { method: 'PUT', headers: { authorization: `Bearer ${this.token}`, 'content-type': mimeType }, body: blobOf(dataURL) }).catch(() => null)
    if (res?.ok) return
    this.uploaded.delete(fileId)
    const answer = (await res?.json().catch(() => null)) as { error?: { message?: string } } | null
    this.onError(answer?.error?.message ?? 'The image could not be uploaded.')
  }

  /** Fetches the files of image elements that Excalidraw does not have yet. */
  fetchMissing(elements: readonly ExcalidrawElement[]): void {
    const have = this.api.getFiles()
    for (const el of elements) {
      if (el.type !== 'image' || el.isDeleted || !el.fileId || have[el.fileId] || this.requested.has(el.fileId) || !FILE_ID.test(el.fileId)) continue
      this.requested.add(el.fileId)
      void this.fetchOne(el.fileId, 0)
    }
  }

  private async fetchOne(fileId: string, attempt: number): Promise<void> {
    if (this.stopped) return
    const res = await fetch(this.url(fileId), { headers: { authorization: `Bearer ${this.token}` } }).catch(() => null)
    if (!res?.ok) {
      const delay = RETRIES[attempt]
      if (delay !== undefined && (!res || res.status === 404 || res.status >= 500)) setTimeout(() => void this.fetchOne(fileId, attempt + 1), delay)
      return
    }
    const blob = await res.blob()
    const mimeType = (IMAGE_TYPES.includes(blob.type) ? blob.type : 'image/png') as BinaryFileData['mimeType']
    const dataURL = await new Promise<string>((resolve, reject) => {
      const reader = new FileReader()
      reader.onload = () => resolve(reader.result as string)
      reader.onerror = () => reject(reader.error)
      reader.readAsDataURL(blob)
    })
    if (this.stopped) return
    this.api.addFiles([{ id: fileId as BinaryFileData['id'], dataURL: dataURL as DataURL, mimeType, created: Date.now() }])
  }

  stop(): void {
    this.stopped = true
  }
}
