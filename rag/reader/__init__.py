"""A neural extractive reader: the bundled e5-small encoder with a start/end span head.

- :mod:`rag.reader.data`: KorQuAD 1.0 questions as training windows, with negatives.
- :mod:`rag.reader.train`: the reproducible fine-tuning run (``rag train reader``).
- :mod:`rag.reader.model`: the shipped weight delta, assembled with the bundled base and
  exported to int8 ONNX in the user cache on first use.
- :mod:`rag.reader.infer`: :class:`Reader`, spans and a no-answer score for passages.
"""
