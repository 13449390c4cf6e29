"""Loading every supported format into normalised documents with exact statute sections.

Small hand-written fixtures cover each format; the real statutes are read in place from
the shared corpus (never copied here) and skipped with a clear message when absent.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from rag.documents import Document, normalize_text, slugify
from rag.loaders import (
    SUPPORTED_EXTENSIONS,
    DocumentDecodeError,
    DocumentParseError,
    UnsupportedFormatError,
    iter_files,
    load_bytes,
    load_file,
    load_path,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS_ARTICLE = REPO / "corpus" / "news" / "seoul_ai_foundation.md"


def _shared_dir() -> Path:
    return Path(os.environ.get("RAG_SHARED_DIR") or REPO.parent / "shared")


LAWS = REPO / "corpus" / "laws"
SEED_ARTICLE = _shared_dir() / "seeds" / "seoul_ai_foundation_article.txt"

# --------------------------------------------------------------------------- fixtures

TXT = "\r\n\r\n  시민 안내문  \r\n첫 문단입니다.\r\n\r\n\r\n\r\n둘째 문단입니다.\r\n"

MD_FRONT_MATTER = """---
id: notice-2025
title: 공지 제목
date: 2025-05-21
source: 서울시 누리집
publisher: 서울특별시
reporter: 홍길동
tags: [공지, AI]
---

# 본문 머리

본문은 **강조**와 1\\. 같은 이스케이프를 담는다.

둘째 문단.
"""

MD_PLAIN = "# 첫 제목\n\n첫 문단.\n\n## 소제목\n\n둘째 문단.\n"

MD_NO_HEADING = "제목 없는 글의 첫 문단.\n\n둘째 문단.\n"

HTML = """<!doctype html>
<html><head><title> 시민
 공지 </title><style>.x { color: red }</style><script>var tracking = 1;</script></head>
<body>
<header>사이트 머리글</header><nav><a href="/">메뉴 링크</a></nav>
<main><h1>행사 안내</h1>
<p>첫   문단은
한 줄로 읽힌다.<br>줄바꿈 뒤.</p>
<!-- 주석은 보이지 않는다 -->
<div>둘째 <b>굵은</b> 문단</div>
<ul><li>하나</li><li>둘</li></ul>
<noscript>스크립트 필요</noscript><template><p>틀</p></template>
</main>
<aside>관련 광고</aside><footer>저작권 바닥글</footer>
<script>console.log("late")</script>
</body></html>
"""

HTML_H1_ONLY = "<html><body><h1>큰 제목</h1><p>본문</p></body></html>"

# A made-up regulation in the 국가법령정보센터 law XML schema.
LAW_XML = """<?xml version="1.0" encoding="utf-8"?>
<법령 법령키="0000012025010100001">
<기본정보>
<법령ID>000001</법령ID>
<공포일자>20250101</공포일자>
<공포번호>1</공포번호>
<법종구분 법종구분코드="A0002">법률</법종구분>
<법령명_한글><![CDATA[시험 운영에 관한 법률]]></법령명_한글>
<소관부처 소관부처코드="1">시험부</소관부처>
<시행일자>20250701</시행일자>
<연락부서><부서단위 부서키="1"><부서명>시험과</부서명></부서단위></연락부서>
</기본정보>
<조문>
<조문단위 조문키="0001000">
<조문번호>1</조문번호>
<조문여부>전문</조문여부>
<조문제목></조문제목>
<조문내용><![CDATA[            제1장 총칙]]></조문내용>
</조문단위>
<조문단위 조문키="0001001">
<조문번호>1</조문번호>
<조문여부>조문</조문여부>
<조문제목><![CDATA[목적]]></조문제목>
<조문내용><![CDATA[제1조(목적) 이 법은 시험의 운영을 정한다.]]></조문내용>
</조문단위>
<조문단위 조문키="0002001">
<조문번호>2</조문번호>
<조문여부>조문</조문여부>
<조문제목><![CDATA[정의]]></조문제목>
<조문내용><![CDATA[제2조(정의) 이 법에서 쓰는 말의 뜻은 다음과 같다.]]></조문내용>
<항>
<호>
<호번호><![CDATA[1.]]></호번호>
<호내용><![CDATA[1. "시험"이란 능력을 재는 절차를 말한다.]]></호내용>
<목>
<목번호><![CDATA[가.]]></목번호>
<목내용><![CDATA[가. 필기시험]]>
</목내용></목>
</호>
</항>
</조문단위>
<조문단위 조문키="0003001">
<조문번호>3</조문번호>
<조문여부>조문</조문여부>
<조문제목><![CDATA[시험위원회]]></조문제목>
<조문내용><![CDATA[제3조(시험위원회)]]></조문내용>
<항>
<항번호><![CDATA[①]]></항번호>
<항내용><![CDATA[① 시험에 관한 사항을 심의하기 위하여 시험위원회를 둔다.]]></항내용>
</항>
<항>
<항번호><![CDATA[②]]></항번호>
<항내용><![CDATA[② 위원회는 다음 각 호의 사항을 심의한다.]]></항내용>
<호>
<호번호><![CDATA[1.]]></호번호>
<호내용><![CDATA[1. 시험 일정]]></호내용>
</호>
<호>
<호번호><![CDATA[2의2.]]></호번호>
<호내용><![CDATA[2의2. 시험 장소]]></호내용>
</호>
</항>
</조문단위>
<조문단위 조문키="0003021">
<조문번호>3</조문번호>
<조문가지번호>2</조문가지번호>
<조문여부>조문</조문여부>
<조문제목><![CDATA[시험 특례]]></조문제목>
<조문내용><![CDATA[제3조의2(시험 특례)]]></조문내용>
<항>
<항번호><![CDATA[①]]></항번호>
<항내용><![CDATA[① 장관은 시험을 면제할 수 있다.]]></항내용>
</항>
<항>
<항번호><![CDATA[②]]></항번호>
<항내용><![CDATA[② 면제의 기준은 대통령령으로 정한다.]]></항내용>
</항>
<조문참고자료><![CDATA[[본조신설 2025.1.1]]]></조문참고자료>
</조문단위>
<조문단위 조문키="0010001">
<조문번호>10</조문번호>
<조문여부>조문</조문여부>
<조문제목><![CDATA[벌칙]]></조문제목>
<조문내용><![CDATA[제10조(벌칙) 거짓으로 응시한 자는 과태료에 처한다.]]></조문내용>
</조문단위>
</조문>
<부칙>
<부칙단위 부칙키="2025010100001">
<부칙공포일자>20250101</부칙공포일자>
<부칙공포번호>1</부칙공포번호>
<부칙내용><![CDATA[부칙 <제1호,2025.1.1>]]>
<![CDATA[]]>
<![CDATA[이 법은 공포한 날부터 시행한다.]]>
<![CDATA[]]>
</부칙내용>
</부칙단위>
</부칙>
<개정문><개정문내용><![CDATA[제3조의2(시험 특례) 개정문에만 있는 문장]]></개정문내용></개정문>
<제개정이유><제개정이유내용><![CDATA[제개정이유에만 있는 문장]]></제개정이유내용></제개정이유>
</법령>
"""

# A made-up ordinance in the legalize-kr Markdown layout (both 항 styles, escapes, 삭제).
MD_STATUTE = """---
제목: 시험 운영 조례
자치법규ID: '123'
공포일자: 2025-09-29
시행일자: '20251001'
출처: https://example.invalid/시험조례
소관부처:
- 시험부
첨부파일: []
---

# 시험 운영 조례

## 제1장 총칙

##### 제1조 (목적)

이 조례는 시험의 운영을 정한다.

##### 제2조 (정의)

이 조례에서 쓰는 말의 뜻은 다음과 같다.

  1\\. "시험"이란 능력을 재는 절차를 말한다.
    가\\. 필기시험
  2\\. "응시자"란 시험을 보는 사람을 말한다.

##### 제3조 (위원회)

**①** 시장은 시험위원회를 둔다.

**②** 위원회는 다음 각 호를 심의한다.

  1\\. 시험 일정

##### 제3조의2 (특례)

① 시장은 시험을 면제할 수 있다.
  ② 면제 기준은 규칙으로 정한다.

##### 제4조

삭제 <2025.9.29>

## 부칙

부칙 <제1호, 2025.1.1>
이 조례는 공포한 날부터 시행한다.

부칙(다른 조례) <제2호, 2025.9.29>
제1조(시행일) 이 조례는 공포한 날부터 시행한다.
"""

MD_STATUTE_PLAIN_HEADINGS = """# 제1조(목적)

이 규칙은 시험을 정한다.

# 제2조(위임)

① 세부 사항은 따로 정한다.
② 그 밖의 사항은 시장이 정한다.
"""

FORMATS = {
    "notice.txt": TXT,
    "front.md": MD_FRONT_MATTER,
    "plain.md": MD_PLAIN,
    "bare.md": MD_NO_HEADING,
    "page.html": HTML,
    "heading.htm": HTML_H1_ONLY,
    "law.xml": LAW_XML,
    "ordinance.md": MD_STATUTE,
    "rules.md": MD_STATUTE_PLAIN_HEADINGS,
}


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8"))
    return path


def _load(tmp_path: Path, name: str) -> Document:
    return load_file(_write(tmp_path, name, FORMATS[name]))


def _labels(document: Document) -> list[str]:
    return [section.label for section in document.sections]


def _span(document: Document, label: str) -> str:
    (section,) = [s for s in document.sections if s.label == label]
    return document.text[section.start : section.end]


def assert_statute_invariants(document: Document) -> None:
    """Every section spans exactly the 조, 항 or 부칙 it names, inside normalised text."""
    assert document.kind == "statute"
    assert normalize_text(document.text) == document.text
    articles = {(s.start, s.end): s for s in document.sections if s.label == s.article}
    for section in document.sections:
        span = document.text[section.start : section.end]
        assert span and span == span.strip(), section
        if section.label == section.article:
            assert span.startswith(section.label), section
            assert span[len(section.label) : len(section.label) + 1] in ("", " ", "(", "<", "\n"), section
            assert section.start == 0 or document.text[section.start - 2 : section.start] == "\n\n", section
        else:
            number = int(unicodedata.numeric(span[0]))
            assert section.label == f"{section.article}제{number}항", section
            assert document.text[section.start - 1] == "\n", section
            assert any(
                a.article == section.article and a.start < section.start and section.end <= a.end
                for a in articles.values()
            ), section


# --------------------------------------------------------------------------- every format


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_text_is_normalised(tmp_path: Path, name: str) -> None:
    document = _load(tmp_path, name)
    assert document.text
    assert normalize_text(document.text) == document.text
    assert document.title == normalize_text(document.title) and document.title


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_loading_is_deterministic(tmp_path: Path, name: str) -> None:
    first, second = _load(tmp_path, name), _load(tmp_path, name)
    assert first == second
    assert first.content_hash == second.content_hash


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_load_bytes_matches_load_file(tmp_path: Path, name: str) -> None:
    assert load_bytes(FORMATS[name].encode("utf-8"), name) == _load(tmp_path, name)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_metadata_is_json_safe(tmp_path: Path, name: str) -> None:
    document = _load(tmp_path, name)
    assert Document.from_dict(json.loads(json.dumps(document.to_dict(), ensure_ascii=False))) == document


@pytest.mark.parametrize(
    ("name", "doc_id", "title", "kind"),
    [
        ("notice.txt", "notice", "시민 안내문", "text"),
        ("front.md", "notice-2025", "공지 제목", "text"),
        ("plain.md", "plain", "첫 제목", "text"),
        ("bare.md", "bare", "bare", "text"),
        ("page.html", "page", "시민 공지", "text"),
        ("heading.htm", "heading", "큰 제목", "text"),
        ("law.xml", "law", "시험 운영에 관한 법률", "statute"),
        ("ordinance.md", "ordinance", "시험 운영 조례", "statute"),
        ("rules.md", "rules", "rules", "statute"),
    ],
)
def test_ids_titles_and_kinds(tmp_path: Path, name: str, doc_id: str, title: str, kind: str) -> None:
    document = _load(tmp_path, name)
    assert (document.doc_id, document.title, document.kind) == (doc_id, title, kind)


# --------------------------------------------------------------------------- text, Markdown, HTML


def test_txt_keeps_whole_text(tmp_path: Path) -> None:
    assert _load(tmp_path, "notice.txt").text == "시민 안내문\n첫 문단입니다.\n\n둘째 문단입니다."


def test_markdown_front_matter_fields(tmp_path: Path) -> None:
    document = _load(tmp_path, "front.md")
    assert (document.date, document.source, document.publisher) == ("2025-05-21", "서울시 누리집", "서울특별시")
    assert document.metadata == {"reporter": "홍길동", "tags": ["공지", "AI"], "filename": "front.md"}
    assert document.text == "본문 머리\n\n본문은 강조와 1. 같은 이스케이프를 담는다.\n\n둘째 문단."


def test_markdown_without_front_matter(tmp_path: Path) -> None:
    document = _load(tmp_path, "plain.md")
    assert document.text == "첫 제목\n\n첫 문단.\n\n소제목\n\n둘째 문단."
    assert (document.date, document.source, document.publisher) == (None, None, None)


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    text = _load(tmp_path, "page.html").text
    assert text == "행사 안내\n\n첫 문단은 한 줄로 읽힌다.\n줄바꿈 뒤.\n\n둘째 굵은 문단\n\n하나\n둘"
    for hidden in ("tracking", "color", "머리글", "메뉴", "광고", "바닥글", "주석", "스크립트 필요", "틀", "late"):
        assert hidden not in text


# --------------------------------------------------------------------------- statutes


LAW_XML_SECTIONS = [
    ("제1조", "제1조", "목적"),
    ("제2조", "제2조", "정의"),
    ("제3조", "제3조", "시험위원회"),
    ("제3조제1항", "제3조", "시험위원회"),
    ("제3조제2항", "제3조", "시험위원회"),
    ("제3조의2", "제3조의2", "시험 특례"),
    ("제3조의2제1항", "제3조의2", "시험 특례"),
    ("제3조의2제2항", "제3조의2", "시험 특례"),
    ("제10조", "제10조", "벌칙"),
    ("부칙", "부칙", "제1호"),
]

MD_STATUTE_SECTIONS = [
    ("제1조", "제1조", "목적"),
    ("제2조", "제2조", "정의"),
    ("제3조", "제3조", "위원회"),
    ("제3조제1항", "제3조", "위원회"),
    ("제3조제2항", "제3조", "위원회"),
    ("제3조의2", "제3조의2", "특례"),
    ("제3조의2제1항", "제3조의2", "특례"),
    ("제3조의2제2항", "제3조의2", "특례"),
    ("제4조", "제4조", None),
    ("부칙", "부칙", "제1호"),
    ("부칙", "부칙", "제2호"),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("law.xml", LAW_XML_SECTIONS),
        ("ordinance.md", MD_STATUTE_SECTIONS),
        (
            "rules.md",
            [("제1조", "제1조", "목적"), ("제2조", "제2조", "위임"), ("제2조제1항", "제2조", "위임"),
             ("제2조제2항", "제2조", "위임")],
        ),
    ],
)
def test_statute_sections(tmp_path: Path, name: str, expected: list[tuple]) -> None:
    document = _load(tmp_path, name)
    assert [(s.label, s.article, s.title) for s in document.sections] == expected
    assert_statute_invariants(document)


@pytest.mark.parametrize(
    ("name", "label", "span"),
    [
        ("law.xml", "제1조", "제1조(목적) 이 법은 시험의 운영을 정한다."),
        ("law.xml", "제2조", '제2조(정의) 이 법에서 쓰는 말의 뜻은 다음과 같다.\n  1. "시험"이란 능력을 재는 절차를 말한다.\n    가. 필기시험'),
        ("law.xml", "제3조제2항", "② 위원회는 다음 각 호의 사항을 심의한다.\n  1. 시험 일정\n  2의2. 시험 장소"),
        ("law.xml", "제3조의2제2항", "② 면제의 기준은 대통령령으로 정한다."),
        ("law.xml", "제3조의2", "제3조의2(시험 특례)\n① 장관은 시험을 면제할 수 있다.\n② 면제의 기준은 대통령령으로 정한다.\n[본조신설 2025.1.1]"),
        ("law.xml", "부칙", "부칙 <제1호,2025.1.1>\n이 법은 공포한 날부터 시행한다."),
        ("ordinance.md", "제1조", "제1조(목적) 이 조례는 시험의 운영을 정한다."),
        ("ordinance.md", "제2조", '제2조(정의) 이 조례에서 쓰는 말의 뜻은 다음과 같다.\n  1. "시험"이란 능력을 재는 절차를 말한다.\n    가. 필기시험\n  2. "응시자"란 시험을 보는 사람을 말한다.'),
        ("ordinance.md", "제3조제2항", "② 위원회는 다음 각 호를 심의한다.\n  1. 시험 일정"),
        ("ordinance.md", "제3조의2제2항", "② 면제 기준은 규칙으로 정한다."),
        ("ordinance.md", "제4조", "제4조 삭제 <2025.9.29>"),
        ("rules.md", "제2조제1항", "① 세부 사항은 따로 정한다."),
    ],
)
def test_statute_section_text(tmp_path: Path, name: str, label: str, span: str) -> None:
    assert _span(_load(tmp_path, name), label) == span


def test_law_xml_layout_and_metadata(tmp_path: Path) -> None:
    document = _load(tmp_path, "law.xml")
    assert document.text.startswith("시험 운영에 관한 법률\n\n제1장 총칙\n\n제1조(목적)")
    assert "개정문에만" not in document.text and "제개정이유에만" not in document.text
    assert (document.date, document.publisher, document.source) == ("2025-01-01", "시험부", None)
    assert document.metadata["시행일자"] == "2025-07-01"
    assert document.metadata["법령ID"] == "000001"


def test_markdown_statute_layout_and_metadata(tmp_path: Path) -> None:
    document = _load(tmp_path, "ordinance.md")
    assert document.text.startswith("시험 운영 조례\n\n제1장 총칙\n\n제1조(목적)")
    assert "#" not in document.text and "\\" not in document.text and "**" not in document.text
    assert document.text.endswith(
        "부칙 <제1호, 2025.1.1>\n이 조례는 공포한 날부터 시행한다.\n\n"
        "부칙(다른 조례) <제2호, 2025.9.29>\n제1조(시행일) 이 조례는 공포한 날부터 시행한다."
    )
    assert (document.date, document.source, document.publisher) == (
        "2025-09-29", "https://example.invalid/시험조례", "시험부",
    )
    assert document.metadata["시행일자"] == "20251001"
    assert "제목" not in document.metadata and "출처" not in document.metadata


def test_markdown_statute_compatibility_ideographs_are_normalised(tmp_path: Path) -> None:
    # Older statutes write hanja in 조 titles with CJK compatibility ideographs (U+F900…), which
    # NFC maps to the unified ones: the heading and the 조's text must be read in that form too.
    compat = "\uf90a"  # CJK COMPATIBILITY IDEOGRAPH-F90A, NFC: 金 (U+91D1)
    source = MD_STATUTE.replace("##### 제1조 (목적)", f"##### 제1조 (株{compat}의 목적)")
    assert f"株{compat}" in source
    document = load_file(_write(tmp_path, "compat.md", source))
    assert document.text == normalize_text(document.text)
    assert "제1조(株金의 목적)" in document.text
    assert [s.title for s in document.sections if s.label == "제1조"] == ["株金의 목적"]


def test_statute_layout_files_take_their_ids_from_their_folders(tmp_path: Path) -> None:
    # legalize-kr: kr/<법령명>/법률.md and …/시행령.md; every file name repeats across statutes.
    for folder, kind in (("주택임대차보호법", "법률"), ("주택임대차보호법", "시행령"), ("상가건물임대차보호법", "법률")):
        (tmp_path / "kr" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "kr" / folder / f"{kind}.md").write_text(MD_STATUTE, encoding="utf-8")
    documents = load_path(tmp_path / "kr")
    assert sorted(d.doc_id for d in documents) == ["상가건물임대차보호법", "주택임대차보호법", "주택임대차보호법-시행령"]
    # a front-matter id still wins; an upload has no folder, so its own name counts
    (tmp_path / "kr" / "상가건물임대차보호법" / "법률.md").write_text(
        MD_STATUTE.replace("제목: 시험 운영 조례", "id: lease-act\n제목: 시험 운영 조례"), encoding="utf-8")
    assert load_file(tmp_path / "kr" / "상가건물임대차보호법" / "법률.md").doc_id == "lease-act"
    assert load_bytes(MD_STATUTE.encode(), "법률.md").doc_id == "법률"


def test_markdown_statute_front_matter_id_wins(tmp_path: Path) -> None:
    source = MD_STATUTE.replace("제목: 시험 운영 조례", "id: exam-ordinance\n자치법규명: 시험 운영 조례")
    document = load_file(_write(tmp_path, "본문.md", source))
    assert (document.doc_id, document.title) == ("exam-ordinance", "시험 운영 조례")


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("filename", "doc_id", "expected"),
    [
        ("서울 AI 조례.md", None, "서울-ai-조례"),
        ("dir/sub/Notice_2025.txt", None, "notice-2025"),
        ("C:\\Users\\me\\공지.txt", None, "공지"),
        ("공지.txt", "explicit-id", "explicit-id"),
        ("front.md", None, "notice-2025"),
        ("front.md", "override", "override"),
    ],
)
def test_doc_ids(filename: str, doc_id: str | None, expected: str) -> None:
    content = MD_FRONT_MATTER if filename == "front.md" else "제목\n본문"
    assert load_bytes(content.encode("utf-8"), filename, doc_id=doc_id).doc_id == expected


def test_file_doc_id_is_slug_of_stem(tmp_path: Path) -> None:
    path = _write(tmp_path, "Seoul AI_Act.v2.txt", "제목\n본문")
    assert load_file(path).doc_id == slugify(path.stem)


# --------------------------------------------------------------------------- files and errors


def test_iter_files_recurses_sorted_and_skips(tmp_path: Path) -> None:
    for name in ("b.md", "a.txt", "sub/c.html", "sub/deeper/d.xml", "skip.pdf", ".hidden.md", ".git/e.md", "sub/.x/f.txt"):
        _write(tmp_path, name, "x")
    assert iter_files([tmp_path]) == [
        tmp_path / "a.txt", tmp_path / "b.md", tmp_path / "sub" / "c.html", tmp_path / "sub" / "deeper" / "d.xml",
    ]


def test_provenance_notes_in_folders_are_no_documents_but_load_when_named(tmp_path: Path) -> None:
    law = _write(tmp_path, "laws/act.md", "제목\n본문")
    notes = [_write(tmp_path, "laws/SOURCES.md", "출처"), _write(tmp_path, "more/sources.md", "출처")]
    assert iter_files([tmp_path]) == [law]
    assert iter_files([notes[0]]) == [notes[0]]


def test_iter_files_keeps_order_of_arguments_without_duplicates(tmp_path: Path) -> None:
    a, b = _write(tmp_path, "a.txt", "x"), _write(tmp_path, "b.txt", "x")
    assert iter_files([b, tmp_path, a]) == [b, a]


def test_explicit_hidden_file_is_loaded(tmp_path: Path) -> None:
    path = _write(tmp_path, ".notes.txt", "숨은 파일\n본문")
    assert iter_files([path]) == [path]


@pytest.mark.parametrize("name", ["report.pdf", "README", "data.json"])
def test_explicit_unsupported_file_raises(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "x")
    with pytest.raises(UnsupportedFormatError) as error:
        iter_files([path])
    assert isinstance(error.value, ValueError)
    for extension in SUPPORTED_EXTENSIONS:
        assert extension in str(error.value)
    with pytest.raises(UnsupportedFormatError):
        load_file(path)


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        iter_files([tmp_path / "nowhere"])


def test_load_path_file_and_folder(tmp_path: Path) -> None:
    single = _write(tmp_path, "docs/one.txt", TXT)
    _write(tmp_path, "docs/nested/law.xml", LAW_XML)
    _write(tmp_path, "docs/ignored.csv", "a,b")
    assert [d.doc_id for d in load_path(single)] == ["one"]
    assert [d.doc_id for d in load_path(tmp_path / "docs")] == ["law", "one"]


@pytest.mark.parametrize(
    ("data", "filename", "error", "message"),
    [
        (b"\xff\xfe\x00bad", "broken.txt", DocumentDecodeError, "not valid UTF-8"),
        ("한글".encode("euc-kr"), "legacy.md", DocumentDecodeError, "not valid UTF-8"),
        ("한글".encode("cp949"), "legacy.xml", DocumentDecodeError, "not valid UTF-8"),
        (b"<root/>", "other.xml", UnsupportedFormatError, "law XML"),
        (b"<\xeb\xb2\x95\xeb\xa0\xb9>", "cut.xml", DocumentParseError, "invalid XML"),
        (b"---\n: [\n---\nbody", "bad.md", DocumentParseError, "front matter"),
        (b"  \r\n\r\n ", "empty.txt", DocumentParseError, "no text"),
        (b"<html><script>x</script></html>", "empty.html", DocumentParseError, "no text"),
        (b"x", "slides.pptx", UnsupportedFormatError, "supported"),
    ],
)
def test_load_bytes_errors(data: bytes, filename: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as raised:
        load_bytes(data, filename)
    assert isinstance(raised.value, ValueError)
    assert filename in str(raised.value)


def test_utf8_bom_is_accepted() -> None:
    document = load_bytes(b"\xef\xbb\xbf" + MD_FRONT_MATTER.encode("utf-8"), "bom.md")
    assert document.doc_id == "notice-2025"


# --------------------------------------------------------------------------- bundled corpus


def test_corpus_article_metadata() -> None:
    document = load_file(CORPUS_ARTICLE)
    assert (document.doc_id, document.title, document.kind) == (
        "seoul-ai-foundation", "서울디지털재단, ‘서울AI재단’으로 새출발", "text",
    )
    assert (document.publisher, document.date, document.source) == ("이데일리", "2025-05-21", "이데일리")
    assert document.metadata["reporter"] == "박태진"
    assert normalize_text(document.text) == document.text


def test_corpus_article_has_body_without_chrome() -> None:
    text = load_file(CORPUS_ARTICLE).text
    assert text.startswith("[이데일리 박태진 기자] 서울디지털재단이 ‘서울AI재단’으로 사명을 변경하고")
    assert "(사진=뉴스1)" in text and text.count("\n\n") == 9
    assert text.endswith("최선을 다하겠다”고 말했다.")
    for chrome in (
        "실시간 키워드", "00:00 기준", "3줄요약", "광고 보고 계속 읽기", "신고", "Copyright", "무단 전재",
        "뉴스픽 파트너스", "공유하세요", "유튜브", "14:00:00", "이 시각 주요뉴스",
    ):
        assert chrome not in text


def test_corpus_article_paragraphs_are_verbatim_from_seed() -> None:
    if not SEED_ARTICLE.is_file():
        pytest.skip(f"seed article not found at {SEED_ARTICLE}; set RAG_SHARED_DIR to the shared/ folder")
    seed_lines = set(SEED_ARTICLE.read_text(encoding="utf-8").split("\n"))
    for paragraph in load_file(CORPUS_ARTICLE).text.split("\n\n"):
        assert paragraph in seed_lines


# --------------------------------------------------------------------------- the bundled statutes


@pytest.fixture(scope="module")
def laws() -> Path:
    return LAWS


@pytest.fixture(scope="module")
def ai_basic_act(laws: Path) -> Document:
    path = laws / "ai_basic_act.xml"
    if not path.is_file():
        pytest.skip(f"shared corpus statutes not found at {path}; set RAG_SHARED_DIR to the shared/ folder")
    return load_file(path)


def test_ai_basic_act_articles(ai_basic_act: Document) -> None:
    articles = [s.label for s in ai_basic_act.sections if s.label == s.article and s.article != "부칙"]
    assert len(articles) >= 46
    assert len(articles) == len(set(articles))
    for label in ("제1조", "제17조의2", "제22조의2", "제22조의3", "제43조"):
        assert label in articles
    assert articles.index("제17조의2") == articles.index("제17조") + 1
    assert_statute_invariants(ai_basic_act)


@pytest.mark.parametrize(
    ("label", "starts"),
    [
        ("제1조", "제1조(목적) 이 법은 인공지능의"),
        ("제7조제2항", "② 위원회는"),
        ("제17조의2", "제17조의2(인공지능제품 및 인공지능서비스 이용비용의 지원)\n①"),
        ("제17조의2제1항", "① 국가와 지방자치단체는"),
        ("제22조의3", "제22조의3(인공지능기술 확보를 위한 연구기관의 설립ㆍ운영) 과학기술정보통신부장관은"),
    ],
)
def test_ai_basic_act_spans(ai_basic_act: Document, label: str, starts: str) -> None:
    assert _span(ai_basic_act, label).startswith(starts)


def test_ai_basic_act_metadata_and_layout(ai_basic_act: Document) -> None:
    assert ai_basic_act.doc_id == "ai-basic-act"
    assert ai_basic_act.title == "인공지능 발전과 신뢰 기반 조성 등에 관한 기본법"
    assert (ai_basic_act.date, ai_basic_act.publisher) == ("2026-01-20", "과학기술정보통신부")
    assert ai_basic_act.text.startswith(ai_basic_act.title + "\n\n제1장 총칙\n\n제1조(목적)")
    assert "제6장 벌칙" in ai_basic_act.text
    assert [s.title for s in ai_basic_act.sections if s.article == "부칙"] == ["제20676호", "제21065호", "제21311호"]
    assert ai_basic_act.section_at(ai_basic_act.text.index("② 위원회는 위원장")).label == "제7조제2항"


@pytest.mark.parametrize(
    ("name", "title", "min_articles"),
    [
        ("seoul_ai_basic_ordinance.md", "서울특별시 인공지능 기본조례", 17),
        ("ai_basic_act_decree.md", "인공지능 발전과 신뢰 기반 조성 등에 관한 기본법 시행령", 33),
        ("intelligent_informatization_act.md", "지능정보화 기본법", 70),
    ],
)
def test_markdown_statutes_parse(laws: Path, name: str, title: str, min_articles: int) -> None:
    path = laws / name
    if not path.is_file():
        pytest.skip(f"shared corpus statutes not found at {path}; set RAG_SHARED_DIR to the shared/ folder")
    document = load_file(path)
    articles = [s for s in document.sections if s.label == s.article and s.article != "부칙"]
    assert document.title == title
    assert len(articles) >= min_articles
    assert any(s.label != s.article for s in document.sections)
    assert any(s.article == "부칙" for s in document.sections)
    assert document.source and document.source.startswith("https://www.law.go.kr/")
    assert "#" not in document.text and "\\" not in document.text and "**" not in document.text
    assert_statute_invariants(document)


def test_whole_shared_folder_loads(laws: Path) -> None:
    documents = load_path(laws)
    assert len(documents) == len(iter_files([laws])) >= 4
    assert all(d.kind == "statute" and d.sections for d in documents)
