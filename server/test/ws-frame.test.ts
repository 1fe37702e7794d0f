// Broadcasts are framed once by the server itself (ws-endpoint.ts); ws's own
// parser must read those frames exactly as it reads its own.
import { describe, expect, it } from 'vitest'
import * as ws from 'ws'
import { binaryFrame } from '../src/collab/ws-endpoint.js'

// ws's frame parser; exported at runtime, though its type declarations omit it.
interface FrameReceiver {
  on(event: 'message', f: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'error', f: (err: Error) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean; binaryType: string }) => FrameReceiver }

function parse(frames: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = []
    const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer' })
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true)
      got.push(Buffer.from(data))
      if (got.length === frames.length) resolve(got)
    })
    receiver.on('error', reject)
    // Split across writes at awkward places, as TCP may deliver them.
    const all = Buffer.concat(frames)
    for (let i = 0; i < all.length; i += 7) receiver.write(all.subarray(i, i + 7))
  })
}

describe('binaryFrame', () => {
  it('frames every length class so that ws reads back the same bytes', async () => {
    const sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]
    const payloads = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff))
    const got = await parse(payloads.map(binaryFrame))
    expect(got.map((b) => b.length)).toEqual(sizes)
    got.forEach((b, i) => expect(b.equals(Buffer.from(payloads[i]!))).toBe(true))
  })

  it('writes a final, unmasked binary frame header', () => {
    expect([...binaryFrame(new Uint8Array([7, 8]))]).toEqual([0x82, 2, 7, 8])
    expect([...binaryFrame(new Uint8Array(300)).subarray(0, 4)]).toEqual([0x82, 126, 1, 44])
  })
})
