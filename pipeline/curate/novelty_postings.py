"""The novelty index's prefix postings: for each token occurrence of a text's prefix (in the
global rarest-first order) and its position there, an entry (text + length, bucket masks).

Entries of one posting are kept ordered by their code, that is by text length and then by
text, so the compiled filter reads only the lengths that could pass (`passable_lengths`);
three quarters of the entries a large query touched were refused on length alone. The
postings are read where they lie (`array.buffer_info`), never copied per query."""

from __future__ import annotations

from array import array
from bisect import bisect_left

from pipeline.curate.novelty_bounds import ENTRY_WORDS, LENGTH_SHIFT, MAX_POSITION, bucket_bits

_SHIFT = 32  # element id = token id + occurrence << 32
_POSITION_SHIFT = 48  # posting key = element + position of the element in its text's order << 48

Ordered = list[tuple[int, int, int]]  # (order key, occurrence, token id), rarest first
Chunk = tuple[int, int, "array[int]"]  # (query position i, text position j, its posting)


def _file_in_code_order(posting: array[int], code: int, once: int, twice: int) -> None:
    """Texts arrive in increasing order: an entry goes after the entries of its length."""
    if posting[-ENTRY_WORDS] <= code:
        posting.extend((code, once, twice))
        return
    # the strided view is a temporary: released before the insert resizes the array
    at = bisect_left(memoryview(posting)[::ENTRY_WORDS], code) * ENTRY_WORDS
    posting[at:at] = array("Q", (code, once, twice))


class Postings:
    def __init__(self) -> None:
        # element -> (position j, its posting) for each position the element was filed at, by j:
        # a query position reads the postings of j up to a limit, so it stops at the first past it
        self._filed: dict[int, list[tuple[int, array[int]]]] = {}

    @property
    def lists(self) -> dict[int, array[int]]:
        """Every posting by its key (element + position << 48), for inspection."""
        return {
            element + (j << _POSITION_SHIFT): posting
            for element, filed in self._filed.items()
            for j, posting in filed
        }

    def post(self, doc: int, token_ids: list[int], prefix: Ordered) -> None:
        """Files text `doc` under each occurrence of its prefix (`prefix`, in order)."""
        once, twice = bucket_bits(token_ids)
        code = doc | len(token_ids) << LENGTH_SHIFT  # the length rides along: no lookup
        every = self._filed
        for position, (_, occurrence, token_id) in enumerate(prefix):
            element = token_id + (occurrence << _SHIFT)
            position = min(position, MAX_POSITION)
            filed = every.get(element)
            if filed is None:
                every[element] = [(position, array("Q", (code, once, twice)))]
                continue
            for at, (j, posting) in enumerate(filed):  # a few positions: a scan beats a search
                if j == position:
                    _file_in_code_order(posting, code, once, twice)
                    break
                if j > position:
                    filed.insert(at, (position, array("Q", (code, once, twice))))
                    break
            else:
                filed.append((position, array("Q", (code, once, twice))))

    def gather(self, ordered: Ordered, plan: list[tuple[int, int]]) -> tuple[list[Chunk], list[int]]:
        """The postings a query reads: for each planned query position i (with the last text
        position j it can meet), the postings of its occurrence at j up to that one. Also the
        kernels' layout of them, flat: (i, j, address, words) each. Tokens no text has
        (negative ids) have none."""
        chunks: list[Chunk] = []
        layout: list[int] = []
        every = self._filed
        for (i, last), (_, occurrence, token_id) in zip(plan, ordered, strict=False):
            if token_id < 0:
                continue
            filed = every.get(token_id + (occurrence << _SHIFT))
            if filed is None:
                continue
            for j, posting in filed:
                if j > last:
                    break
                chunks.append((i, j, posting))
                layout += (i, j, *posting.buffer_info())
        return chunks, layout
