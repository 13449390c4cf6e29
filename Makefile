# Two entry points for a newcomer: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
RAG := $(VENV)/bin/rag
SHARED ?= ../shared
STAMP := $(VENV)/.installed

.PHONY: setup run test eval bench-korquad bench-speed

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU build of torch first, or pip resolves a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

setup: $(STAMP)

## Build the index from corpus/, ask a sample question, then serve the HTTP API.
run: setup
	$(RAG) ingest corpus/
	$(RAG) ask "재단은 언제 설립되었나?"
	$(RAG) serve --host 127.0.0.1 --port 8000

## The whole test suite (slow tests load the real model).
test: setup
	$(PY) -m pytest -q

## Retrieval and answer evaluation on the report half of the dev sets, with their gates (the tune half is for
## looking at rules: `--part tune`). Each set's config (eval/<set>.toml) names the documents it is asked over:
## the AI statutes are distractors for the article set and hold the statute set's answers; all of corpus/
## holds the civic set's; the civic statutes and the lease acts hold the inquiries' articles. The kind set needs
## no index: it scores question analysis's call of short or passage answer, learned and by the cue rules. The
## dialogue set asks conversations turn by turn with their history, and each follow-up once more alone.
eval: setup
	$(RAG) eval --set eval/article_dev.jsonl --part report
	$(RAG) eval --set eval/statute_dev.jsonl --part report
	$(RAG) eval --set eval/civic_dev.jsonl --part report
	$(RAG) eval --set eval/inquiry_dev.jsonl --part report
	$(RAG) eval --set eval/kind_dev.jsonl --part report
	$(RAG) eval --set eval/dialogue_dev.jsonl --part report

bench-korquad: setup
	$(RAG) bench korquad --data $(SHARED)/data/korquad/KorQuAD_v1.0_dev.json --split dev

## Speed, memory and recall against a LangChain pipeline: about 12 minutes (`$(RAG) bench speed --quick`: 2).
bench-speed: setup
	$(RAG) bench speed
