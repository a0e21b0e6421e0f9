"""Data parallel training across processes started by `accelerate launch` or `torchrun` (they
set RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous address): every process builds the same
step plan from the seed, forwards and backwards its share of each step's micro-batches, and the
gradients are summed across processes before the optimizer step. Each process divides its loss
by the step's token count over all processes, so the summed gradient is exactly the one a single
process computes for the step — the same token-weighted loss, only spread out. Only the first
process writes checkpoints and outputs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, items: Sequence[Item]) -> list[Item]:
        """This process's items: every world-th one, starting at its rank."""
        return list(items[self.rank :: self.world])


SINGLE = Ranks()


def launched_world() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def join(device: str) -> Ranks:
    """Join the launcher's process group (NCCL on CUDA, gloo on the CPU), each process on its
    own GPU; a single process when nothing launched several."""
    if launched_world() <= 1:
        return SINGLE
    import torch
    import torch.distributed as dist

    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return Ranks(dist.get_rank(), dist.get_world_size())


def sum_gradients(parameters: Sequence[Any], ranks: Ranks) -> None:
    """Sum every trainable parameter's gradient across processes, in one flat all-reduce. A
    process that had no micro-batch this step contributes zeros."""
    if ranks.world == 1:
        return
    import torch
    import torch.distributed as dist

    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
    flat = torch.cat([grad.reshape(-1) for grad in grads])
    dist.all_reduce(flat)
    at = 0
    for parameter, grad in zip(parameters, grads, strict=True):
        size = grad.numel()
        parameter.grad = flat[at : at + size].view_as(grad).clone()
        at += size


def sum_numbers(values: Sequence[float], ranks: Ranks, device: Any) -> list[float]:
    if ranks.world == 1:
        return list(values)
    import torch
    import torch.distributed as dist

    tensor = torch.tensor(list(values), dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return [float(v) for v in tensor.tolist()]


def leave(ranks: Ranks) -> None:
    """Wait for every process (the first one writes the outputs), then leave the group."""
    if ranks.world == 1:
        return
    import torch.distributed as dist

    dist.barrier()
    dist.destroy_process_group()
