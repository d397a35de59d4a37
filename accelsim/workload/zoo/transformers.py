"""Transformer encoders and decoders: BERT-base/large and GPT-2 small (full or local attention).

Published totals these graphs reproduce (shared reference workloads.md, batch 1): BERT-base seq 128
11.174 GMACs, seq 384 35.333 GMACs, 109.48 M parameters; BERT-large seq 384 123.21 GMACs, 335.14 M;
GPT-2 small seq 1024 145.82 GMACs with the LM head tied to the token embedding, 124.44 M; with local
attention of 256 keys per query 131.33 GMACs (attention MACs per layer 2·S·w·d).

Attention is counted as workloads.md counts it: QKᵀ and ·V are ``MatMul(weights=False)`` with
``count = batch × heads``; softmax, layer norm and GELU are vector layers. Causal masking computes the
full S×S score matrix (dense hardware skips nothing). BERT includes its pooler (as in the 109.48 M and
335.14 M figures) but no task head.
"""
from __future__ import annotations

from ...errors import WorkloadError
from ..graph import Workload, WorkloadBuilder
from ..ops import Elementwise, Embedding, SharedWeightMatMul
from . import ZooEntry
from . import positive_setting as _check_positive


def _attention(b: WorkloadBuilder, name: str, x: str, heads: int, window: int | None) -> str:
    """Multi-head self-attention over ``x`` of shape (batch, seq, d). ``window`` keys per query
    (local attention) or every key when None."""
    batch, seq, d = b.shape(x)
    head_dim = d // heads
    keys = seq if window is None else min(window, seq)
    q = b.fc(f"{name}_q", x, d)
    k = b.fc(f"{name}_k", x, d)
    v = b.fc(f"{name}_v", x, d)
    scores = b.matmul(f"{name}_qk", q, k, seq, head_dim, keys, batch * heads, (batch, heads, seq, keys))
    scores = b.add(f"{name}_scale", Elementwise((batch, heads, seq, keys), "mul", 1), (scores,))
    probs = b.softmax(f"{name}_softmax", scores)
    ctx = b.matmul(f"{name}_pv", probs, v, seq, keys, head_dim, batch * heads, (batch, seq, d))
    return b.fc(f"{name}_out", ctx, d)


def _ffn(b: WorkloadBuilder, name: str, x: str, hidden: int) -> str:
    d = b.shape(x)[-1]
    y = b.fc(f"{name}_fc1", x, hidden)
    y = b.act(f"{name}_gelu", y, "gelu")
    return b.fc(f"{name}_fc2", y, d)


def _token_embedding(b: WorkloadBuilder, seq: int, vocab: int, positions: int, d: int, segments: int) -> str:
    ids = b.input("token_ids", (b.batch, seq))
    tok = b.embedding("tok_embed", ids, vocab, d)
    parts = [tok, b.add("pos_embed", Embedding(positions, d, seq, (b.batch, seq, d)), (ids,))]
    if segments:
        parts.append(b.embedding("seg_embed", ids, segments, d))
    return b.eltwise("embed_sum", parts, "add")


def bert(batch: int = 1, seq_len: int = 128, large: bool = False) -> Workload:
    """BERT encoder (post-norm), with pooler. Base: 12 layers, d=768, 12 heads; large: 24, 1024, 16."""
    seq_len = _check_positive("seq_len", seq_len)
    layers, d, heads = (24, 1024, 16) if large else (12, 768, 12)
    name = "bert_large" if large else "bert_base"
    b = WorkloadBuilder(name, batch, f"BERT-{'large' if large else 'base'} encoder, sequence {seq_len}",
                        "Devlin et al. NAACL 2019; HF bert-base/large-uncased shapes", {"seq_len": seq_len})
    if seq_len > 512:
        raise WorkloadError(f"BERT has 512 position embeddings; seq_len {seq_len} is too long", field="seq_len")
    x = _token_embedding(b, seq_len, 30522, 512, d, 2)
    x = b.norm("embed_ln", x, "layer")
    for i in range(layers):
        a = _attention(b, f"l{i}_attn", x, heads, None)
        x = b.norm(f"l{i}_ln1", b.eltwise(f"l{i}_res1", [a, x]), "layer")
        f = _ffn(b, f"l{i}_ffn", x, 4 * d)
        x = b.norm(f"l{i}_ln2", b.eltwise(f"l{i}_res2", [f, x]), "layer")
    # pooler: dense + tanh on the first ([CLS]) token
    cls = b.reshape("cls_token", x, (batch, d), "slice")
    b.act("pooler_tanh", b.fc("pooler", cls, d), "tanh")
    return b.build()


def gpt2_small(batch: int = 1, seq_len: int = 1024, local_window: int = 0) -> Workload:
    """GPT-2 small decoder (pre-norm), 12 layers, d=768, 12 heads, LM head tied to the token embedding.
    ``local_window`` > 0 gives local attention: each query attends to that many keys."""
    seq_len = _check_positive("seq_len", seq_len)
    window = None if local_window in (0, "0", None) else _check_positive("local_window", local_window)
    d, heads, vocab = 768, 12, 50257
    if seq_len > 1024:
        raise WorkloadError(f"GPT-2 has 1024 position embeddings; seq_len {seq_len} is too long", field="seq_len")
    suffix = f", local attention of {window} keys" if window else ""
    b = WorkloadBuilder("gpt2_small" + ("_local" if window else ""), batch, f"GPT-2 small, sequence {seq_len}{suffix}",
                        "Radford et al. 2019; HF gpt2 shapes", {"seq_len": seq_len, "local_window": local_window})
    x = _token_embedding(b, seq_len, vocab, 1024, d, 0)
    for i in range(12):
        a = _attention(b, f"h{i}_attn", b.norm(f"h{i}_ln1", x, "layer"), heads, window)
        x = b.eltwise(f"h{i}_res1", [a, x])
        f = _ffn(b, f"h{i}_mlp", b.norm(f"h{i}_ln2", x, "layer"), 4 * d)
        x = b.eltwise(f"h{i}_res2", [f, x])
    x = b.norm("ln_f", x, "layer")
    head = SharedWeightMatMul(batch * seq_len, d, vocab, 1, True, False, (batch, seq_len, vocab), "tok_embed")
    b.add("lm_head", head, (x,))
    return b.build()


WORKLOADS = {
    "bert_base": ZooEntry(lambda batch=1, seq_len=128: bert(batch, seq_len, False), 1,
                          "BERT-base encoder with pooler (11.17 GMACs at seq 128)", "Devlin et al. NAACL 2019",
                          {"seq_len": 128}),
    "bert_large": ZooEntry(lambda batch=1, seq_len=384: bert(batch, seq_len, True), 1,
                           "BERT-large encoder with pooler, MLPerf inference shape (123.2 GMACs at seq 384)",
                           "Devlin et al. NAACL 2019; MLPerf inference", {"seq_len": 384}),
    "gpt2_small": ZooEntry(gpt2_small, 1, "GPT-2 small, tied LM head (145.8 GMACs at seq 1024); "
                           "local_window=N attends to N keys per query", "Radford et al. 2019",
                           {"seq_len": 1024, "local_window": 0}),
    "gpt2_small_local": ZooEntry(lambda batch=1, seq_len=1024, local_window=256: gpt2_small(batch, seq_len, local_window),
                                 1, "GPT-2 small with local attention of 256 keys per query (131.3 GMACs)",
                                 "Radford et al. 2019; local attention as in workloads.md",
                                 {"seq_len": 1024, "local_window": 256}),
}
