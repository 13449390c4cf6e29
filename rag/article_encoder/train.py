"""Fine-tuning the query side of the bundled e5-small for article search (``rag train article-encoder``).

The questions are those the query adapter and the article ranker learn from (the ``tune``
halves of the inquiry and civic sets and the questions written to learn from only), each with
the chunk rows of its gold articles in an index of the bundled corpus and the statutes. The
passage vectors stay as indexed; the encoder learns to place a question near a chunk of its
gold articles by a softmax over every chunk of the index (several gold chunks share the
probability), as the adapter does, but through every layer of the encoder rather than a map
of the pooled vector: it can learn that 집주인 in a question is the 임대인 of a statute from the
word pieces, which carries over to articles it never saw. The 250k × 384 word-embedding
matrix stays frozen (most of the model, and taken from the bundled base instead of shipped).

Reproducible: the seed fixes the batch order and dropout, on a fixed number of threads.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rag.adapter_learn import article_folds, article_ranks
from rag.article_learn import rank_figures
from rag.articles import ENCODER_WEIGHTS_FILE
from rag.embedding.bundled import QUERY_PROMPT
from rag.embedding.onnx_encoder import l2_normalise

#: The parameter kept frozen and taken from the bundled base instead of shipped.
FROZEN = "embeddings.word_embeddings.weight"

#: ``(step, total_steps, loss, seconds)`` after every optimiser step.
TrainProgress = Callable[[int, int, float, float], None]


@dataclass(frozen=True)
class EncoderTrainConfig:
    """Settings of one fine-tuning run (chosen by cross-validation grouped by gold article, bench/results)."""

    learning_rate: float = 5e-5
    epochs: int = 3
    batch_size: int = 16
    temperature: float = 0.05
    weight_decay: float = 0.01
    threads: int = 2
    folds: int = 5


class TorchQueries:
    """A fine-tuned encoder in torch (training and cross-validation): query vectors, mean-pooled
    and normalised as :class:`rag.embedding.onnx_encoder.OnnxEncoder` pools them."""

    #: The article ranker's weights learned with an encoder's list (cross-validation searches with it).
    article_weights = ENCODER_WEIGHTS_FILE

    def __init__(self, model, tokenizer):
        self.model = model
        self.tokenizer = tokenizer

    def forward(self, texts: Sequence[str]):
        """Pooled, normalised query vectors as a torch tensor (with gradients when training)."""
        import torch

        batch = self.tokenizer([QUERY_PROMPT + t for t in texts], padding=True, truncation=True, max_length=512,
                               return_tensors="pt")
        mask = batch["attention_mask"]
        hidden = self.model(input_ids=batch["input_ids"], attention_mask=mask,
                            token_type_ids=torch.zeros_like(batch["input_ids"])).last_hidden_state
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Query vectors as a float32 array."""
        import torch

        self.model.eval()
        with torch.no_grad():
            parts = [self.forward(texts[i:i + batch_size]).numpy() for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 0), dtype=np.float32)

    def vector(self, query: str, plain: np.ndarray) -> np.ndarray:
        """The vector article search searches with: the plain and the tuned vectors' normalised sum."""
        return l2_normalise(np.asarray(plain, dtype=np.float32) + self.encode([query])[0])


def fine_tune(base_dir: Path, texts: Sequence[str], positives: np.ndarray, passages: np.ndarray,
              config: EncoderTrainConfig, seed: int, progress: TrainProgress | None = None) -> TorchQueries:
    """The base encoder fine-tuned so that each of ``texts`` comes nearest a chunk of its
    ``positives`` (n × m booleans over the ``passages``, m × dim) among all ``passages``."""
    import time

    import torch
    import transformers

    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        torch.manual_seed(seed)
        transformers.utils.logging.disable_progress_bar()  # would break the command's own progress display
        model = transformers.AutoModel.from_pretrained(base_dir, dtype=torch.float32, add_pooling_layer=False,
                                                       attn_implementation="eager")
        model.get_parameter(FROZEN).requires_grad_(False)
        tokenizer = transformers.AutoTokenizer.from_pretrained(base_dir)
        queries = TorchQueries(model, tokenizer)
        trained = [p for p in model.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(trained, lr=config.learning_rate, weight_decay=config.weight_decay)
        vectors = torch.from_numpy(np.ascontiguousarray(passages, dtype=np.float32))
        gold = torch.from_numpy(np.ascontiguousarray(positives, dtype=bool))
        rng = np.random.default_rng(seed)
        per_epoch = math.ceil(len(texts) / config.batch_size)
        total, step, started = per_epoch * config.epochs, 0, time.perf_counter()
        model.train()
        for _ in range(config.epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(order), config.batch_size):
                rows = order[start:start + config.batch_size]
                logits = queries.forward([texts[i] for i in rows]) @ vectors.T / config.temperature
                loss = -(torch.logsumexp(logits.masked_fill(~gold[rows], -1e9), 1) - torch.logsumexp(logits, 1)).mean()
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                step += 1
                if progress:
                    progress(step, total, float(loss.item()), time.perf_counter() - started)
        model.eval()
        return queries
    finally:
        torch.set_num_threads(threads)


def delta(queries: TorchQueries) -> dict[str, Any]:
    """Every trained parameter (all but the frozen word embeddings) in fp16, by name."""
    return {name: tensor.detach().half().contiguous() for name, tensor in queries.model.state_dict().items()
            if name != FROZEN}


def cross_validate(base_dir: Path, texts: Sequence[str], positives: np.ndarray, plain: np.ndarray,
                   passages: np.ndarray, units: Sequence[Any], golds: Sequence[frozenset],
                   config: EncoderTrainConfig, seed: int, progress: Callable[[int], None] | None = None,
                   ) -> dict[str, Any]:
    """Dense article ranks out of fold, folds grouped by gold article: the plain vectors, the
    tuned ones, and their normalised sum (what article search uses)."""
    folds = article_folds(golds, config.folds, seed)
    ranks: dict[str, list[int | None]] = {"tuned": [None] * len(texts), "summed": [None] * len(texts)}
    for fold in range(config.folds):
        train, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if len(train) and len(held):
            queries = fine_tune(base_dir, [texts[i] for i in train], positives[train], passages, config, seed)
            vectors = queries.encode([texts[i] for i in held])
            for name, moved in (("tuned", vectors), ("summed", l2_normalise(vectors + plain[held]))):
                for i, rank in zip(held.tolist(), article_ranks(moved, positives[held], passages, units)):
                    ranks[name][i] = rank
        if progress:
            progress(fold + 1)
    return {"folds": config.folds, "grouped_by": "gold article",
            "plain": rank_figures(article_ranks(plain, positives, passages, units)),
            **{name: rank_figures(found) for name, found in ranks.items()}}


def card_meta(config: EncoderTrainConfig, seed: int, questions: int, passages: int, cv: dict[str, Any] | None,
              command: str, base_sha256: str, data: list[str]) -> dict[str, Any]:
    """What the weights' ``encoder.json`` records of their making."""
    return {"base_sha256": base_sha256, "config": dataclasses.asdict(config), "seed": seed, "questions": questions,
            "passages": passages, "cv": cv, "command": command, "data": data,
            "trained_on": datetime.date.today().isoformat()}
