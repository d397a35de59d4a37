"""DLRM, Criteo Kaggle configuration (Naumov et al., arXiv:1906.00091; facebookresearch/dlrm).

Bottom MLP 13-512-256-64-16, top MLP 512-256-1 (its input is the 16 dense features plus the
27·26/2 = 351 pairwise dot products of the 27 feature vectors: 367), 26 embedding tables of dim 16
with one lookup each. Table sizes are the published Criteo Kaggle day-1 category counts used in
FlexFlow's DLRM example (examples/DLRM/run_kaggle_day1.sh, ``--arch-embedding-size``); with them the
model has 103,390,881 parameters, matching workloads.md's 103.39 M (99.5 % in embeddings).
The interaction is computed as in the reference implementation: a batched Gram matrix
(27×16)·(16×27) per sample, of which the strict upper triangle is kept.
"""
from __future__ import annotations

from ..graph import Workload, WorkloadBuilder
from ..ops import DataMovement, Embedding
from . import ZooEntry

#: rows of the 26 categorical tables, in feature order C1..C26 (see module docstring for the source)
KAGGLE_TABLE_ROWS = (1396, 550, 1761917, 507795, 290, 21, 11948, 608, 3, 58176, 5237, 1497287, 3127, 26,
                     12153, 1068715, 10, 4836, 2085, 4, 1312273, 17, 15, 110946, 91, 72655)
EMBEDDING_DIM = 16
BOTTOM_MLP = (512, 256, 64, 16)
TOP_MLP = (512, 256, 1)


def dlrm(batch: int = 1) -> Workload:
    """DLRM for Criteo Kaggle: dense MLP, 26 embedding lookups, dot interaction, top MLP, sigmoid."""
    b = WorkloadBuilder("dlrm", batch, "DLRM, Criteo Kaggle config (26 tables x dim 16)",
                        "Naumov et al. arXiv:1906.00091; table sizes from FlexFlow examples/DLRM/run_kaggle_day1.sh")
    x = b.input("dense", (batch, 13))
    for i, width in enumerate(BOTTOM_MLP):
        x = b.act(f"bot_fc{i}_relu", b.fc(f"bot_fc{i}", x, width))
    features = [x]
    for t, rows in enumerate(KAGGLE_TABLE_ROWS):
        ids = b.input(f"sparse_c{t + 1}", (batch, 1))
        features.append(b.add(f"embed_c{t + 1}", Embedding(rows, EMBEDDING_DIM, batch, (batch, EMBEDDING_DIM)), (ids,)))
    n = len(features)
    stacked = b.add("stack", DataMovement((batch * n * EMBEDDING_DIM,), (batch, n, EMBEDDING_DIM), "concat", True),
                    tuple(features))
    gram = b.matmul("interact", stacked, stacked, n, EMBEDDING_DIM, n, batch, (batch, n, n))
    pairs = n * (n - 1) // 2
    tri = b.add("interact_triu", DataMovement((batch, n, n), (batch, pairs), "gather", True), (gram,))
    x = b.concat("top_input", [x, tri])
    for i, width in enumerate(TOP_MLP):
        y = b.fc(f"top_fc{i}", x, width)
        x = b.act(f"top_fc{i}_{'sigmoid' if i == len(TOP_MLP) - 1 else 'relu'}", y,
                  "sigmoid" if i == len(TOP_MLP) - 1 else "relu")
    return b.build()


WORKLOADS = {
    "dlrm": ZooEntry(dlrm, 1, "DLRM, Criteo Kaggle config: 103.39 M parameters, 99.5 % in 26 embedding tables",
                     "Naumov et al. arXiv:1906.00091"),
}
