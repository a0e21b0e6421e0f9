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
        self.lists: dict[int, array[int]] = {}
        self._positions: dict[int, int] = {}  # element -> bit mask of the positions filed

    def post(self, doc: int, token_ids: list[int], prefix: Ordered) -> None:
        """Files text `doc` under each occurrence of its prefix (`prefix`, in order)."""
        once, twice = bucket_bits(token_ids)
        code = doc | len(token_ids) << LENGTH_SHIFT  # the length rides along: no lookup
        lists, positions = self.lists, self._positions
        for position, (_, occurrence, token_id) in enumerate(prefix):
            element = token_id + (occurrence << _SHIFT)
            position = min(position, MAX_POSITION)
            key = element + (position << _POSITION_SHIFT)
            posting = lists.get(key)
            if posting is None:
                lists[key] = array("Q", [code, once, twice])
                positions[element] = positions.get(element, 0) | 1 << position
            else:
                _file_in_code_order(posting, code, once, twice)

    def gather(self, ordered: Ordered, plan: list[tuple[int, int]]) -> tuple[list[Chunk], int]:
        """The postings a query reads, and their words: for each planned query position i
        (with the mask of the text positions j it can meet), the postings of its occurrence
        at those j. Tokens no text has (negative ids) have none."""
        chunks: list[Chunk] = []
        lists, positions, words = self.lists, self._positions, 0
        for (i, allowed), (_, occurrence, token_id) in zip(plan, ordered, strict=False):
            if token_id < 0:
                continue
            element = token_id + (occurrence << _SHIFT)
            filed = positions.get(element, 0) & allowed
            while filed:
                j = (filed & -filed).bit_length() - 1
                filed &= filed - 1
                posting = lists[element + (j << _POSITION_SHIFT)]
                words += len(posting)
                chunks.append((i, j, posting))
        return chunks, words
