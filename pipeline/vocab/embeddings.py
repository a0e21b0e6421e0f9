"""Grow a causal LM's embedding and output matrices for new tokens: each new row is the mean of
the old rows of the pieces the old tokenizer splits the new token into, so the model starts by
treating the new token like the sequence it replaces (input side) and predicting it about as
readily as its first pieces (output side)."""

from __future__ import annotations

from typing import Any


def old_pieces(backend: Any, token: str) -> list[int]:
    """Ids the base tokenizer's BPE model splits `token` (a byte-level string) into."""
    return [piece.id for piece in backend.model.tokenize(token)]


def is_tied(model: Any) -> bool:
    output = model.get_output_embeddings()
    return output is not None and output.weight is model.get_input_embeddings().weight


def resize_with_mean_init(model: Any, backend: Any, added: dict[str, int], new_size: int) -> dict[str, Any]:
    """Resize to `new_size` rows and set each added token's row (and its output row when the
    head is not tied) from the old rows; a summary for the report."""
    import torch

    old_input = model.get_input_embeddings().weight.detach().clone()
    output_layer = model.get_output_embeddings()
    tied = is_tied(model)
    old_output = None if tied or output_layer is None else output_layer.weight.detach().clone()
    old_rows = old_input.shape[0]
    # mean_resizing would draw the rows at random around the mean; every row is set below
    model.resize_token_embeddings(new_size, mean_resizing=False)
    new_input = model.get_input_embeddings().weight
    new_output = None if old_output is None else model.get_output_embeddings().weight
    pieces_total = 0
    with torch.no_grad():
        for token, token_id in added.items():
            ids = old_pieces(backend, token)
            if not ids or max(ids) >= old_rows:
                raise ValueError(f"new token {token!r}: old pieces {ids} outside the old embedding")
            index = torch.tensor(ids)
            pieces_total += len(ids)
            new_input[token_id] = old_input[index].mean(dim=0)
            if new_output is not None and old_output is not None:
                new_output[token_id] = old_output[index].mean(dim=0)
    return {
        "tied_embeddings": tied,
        "old_rows": old_rows,
        "new_rows": int(model.get_input_embeddings().weight.shape[0]),
        "mean_pieces_per_new_token": round(pieces_total / len(added), 3) if added else 0.0,
    }
