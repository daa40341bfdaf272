/**
 * Previous/next buttons over a cursor-paged list (the API's `next_cursor`): `cursors` is the stack of
 * cursors that led to this page (the first is undefined), so going back needs no cursor of its own.
 */
export function Pager({
  cursors,
  setCursors,
  next,
}: {
  cursors: (string | undefined)[];
  setCursors: (cursors: (string | undefined)[]) => void;
  /** The page's `next_cursor`: null on the last page. */
  next: string | null;
}) {
  return (
    <div class="pager">
      <button
        type="button"
        class="secondary"
        disabled={cursors.length === 1}
        onClick={() => setCursors(cursors.slice(0, -1))}
      >
        Previous page
      </button>
      <span class="muted">Page {cursors.length}</span>
      <button
        type="button"
        class="secondary"
        disabled={next === null}
        onClick={() => setCursors([...cursors, next ?? undefined])}
      >
        Next page
      </button>
    </div>
  );
}
