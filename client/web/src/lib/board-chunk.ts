// The board page's chunk, loaded once. Pages that lead to a board (joining,
// creating one) start it early, while the person is still typing a name, so
// the drawing engine is there by the time the board opens.
let pending: Promise<typeof import('../board/board-page.js')> | null = null

export function loadBoardPage(): Promise<typeof import('../board/board-page.js')> {
  pending ??= import('../board/board-page.js')
  return pending
}

/** Starts loading the board page (and the canvas it brings) without waiting for it. */
export function prefetchBoard(): void {
  void loadBoardPage().then((m) => m.prefetchCanvas())
}
