"""Plain words a question may use for the formal words of public-sector Korean.

Statutes and official news write Sino-Korean nouns (설립, 부과, 징수, 위반); people
asking about them say the same thing with native verbs (세우다, 물리다, 거두다,
어기다). Lexical matching finds none of those pairs, so a paraphrased question looks
as if the document never mentioned it. This is a small general thesaurus of such
pairs in the civic and legal register, keyed by the Kiwi form a question yields (verb
stems without their endings); it never names a particular document.

Only the answerer's evidence uses it, at less than full strength: a paraphrase may
mean a little more or less than the formal word, and retrieval stays what the
words say.
"""

from __future__ import annotations

#: Question form → document forms with (nearly) the same meaning in civic and legal texts.
_PLAIN_TO_FORMAL: dict[str, tuple[str, ...]] = {
    # founding, making, changing, ending
    "세우": ("설립", "건립", "창립", "수립", "설치"),
    "만들": ("제작", "개발", "작성", "제정", "조성", "구축", "설립"),
    "바꾸": ("변경", "전환", "개편", "교체", "개정"),
    "고치": ("개정", "수정", "개선"),
    "없애": ("폐지", "삭제", "철폐"),
    "늘리": ("확대", "증가", "확충", "증원"),
    "줄이": ("축소", "감소", "감축", "절감"),
    "열리": ("개최", "개막", "진행"),
    "열": ("개최", "개막"),
    "끝나": ("종료", "폐막", "만료"),
    "마치": ("종료", "완료"),
    "그만두": ("사임", "사퇴", "퇴임"),
    # duties, payments, penalties
    "물리": ("부과",),
    "매기": ("부과", "산정"),
    "물": ("부과", "납부"),
    "거두": ("징수", "수납"),
    "내": ("납부", "제출"),
    "돌려주": ("반환", "환급"),
    "어기": ("위반",),
    "지키": ("준수", "보호"),
    "맡": ("담당", "수행", "관장"),
    "돕": ("지원", "보조"),
    "뒷받침": ("지원",),
    "이끌": ("주도", "견인"),
    "뽑": ("선정", "선출", "선발"),
    "뽑히": ("선정", "선출", "선발"),
    "고르": ("선정", "선택"),
    "가르": ("구분", "분류"),
    "나누": ("구분", "분류", "배분"),
    "쓰": ("사용", "이용", "활용"),
    "모으": ("수집",),
    "밝히": ("공개", "발표"),
    "살피": ("검토", "점검"),
    "따지": ("검토", "심사"),
    "듣": ("청취", "청문"),
    "묻": ("질의", "문의"),
    "찍": ("촬영",),
    "옮기": ("이전",),
    "나오": ("출석", "출연"),
    "빌리": ("대여", "차입"),
    "팔": ("판매",),
    "갖추": ("구비",),
    # plain nouns for formal ones
    "나라": ("국가",),
    "돈": ("금액", "비용", "예산", "자금"),
    "값": ("가격", "금액"),
    "나이": ("연령",),
    "어린이": ("아동",),
    "아이": ("아동",),
    "노인": ("고령자",),
    "땅": ("토지",),
    "뜻": ("의미", "정의"),
    "행사": ("출범식", "기념식", "개막식", "폐막식", "개소식", "발대식", "시상식", "기공식", "준공식", "개회식"),
    "일": ("업무", "사무"),
    # bounds: "최소 몇 명" is answered by "3명 이상"
    "최소": ("이상",),
    "최대": ("이내", "이하"),
    # formal words with a near-synonym in the same register
    "직속": ("소속",),
    "통과": ("의결", "가결"),
    "철회": ("취소",),
    "취소": ("철회",),
    "참석자": ("참가자",),
    "참가자": ("참석자",),
}


def formal_forms(form: str) -> tuple[str, ...]:
    """The formal words a document may write for ``form`` (a Kiwi content form); empty if none."""
    return _PLAIN_TO_FORMAL.get(form, ())
