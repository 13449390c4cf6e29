/**
 * What the chat and the document page share: their words in Korean and English, the
 * language toggle, and calls to the JSON API of the origin that served the page, with
 * the read token when the server asks for one.
 *
 * Everything from the API is shown with textContent, never parsed as markup: answers and
 * documents are untrusted text.
 */

const STRINGS = {
  ko: {
    toggle: "English",
    chatTitle: "문서 질의응답",
    intro: "색인된 법령과 소식에서 답을 찾아 근거 문장과 함께 보여 줍니다. 이어지는 질문은 앞의 대화를 참고합니다.",
    log: "대화",
    questionLabel: "질문",
    questionHint: "Enter로 보내고, Shift+Enter로 줄을 바꿉니다.",
    send: "보내기",
    newConversation: "새 대화",
    newConversationDone: "새 대화를 시작했습니다.",
    busy: "답을 찾는 중입니다…",
    you: "질문",
    service: "답변",
    abstained: "문서에서 답을 찾지 못했습니다",
    unindexed: "{names}은(는) 색인된 문서에 없는 법령입니다.",
    meta: "{kind} · 신뢰도 {confidence}",
    resolved: "이렇게 이해했습니다: {question}",
    latency: "응답 {ms} ms",
    truncated: "답이 길어 앞부분만 보여 줍니다.",
    citations: "근거",
    moreCitations: "근거 {count}개 더 보기",
    openSource: "원문 보기",
    openSourceLabel: "원문 보기: {source}",
    implementedIn: "세부 사항: ",
    kind_short: "단답",
    kind_definition: "정의",
    kind_purpose: "목적",
    kind_list: "목록",
    kind_duty: "의무",
    kind_reason: "이유",
    kind_passage: "본문",
    tokenHelp: "이 서버는 읽기 토큰이 있어야 답합니다. 토큰은 이 페이지를 닫으면 잊습니다.",
    tokenLabel: "읽기 토큰",
    tokenSubmit: "확인",
    tokenCancel: "취소",
    errorNetwork: "서버에 연결하지 못했습니다. 연결을 확인하고 다시 시도하세요.",
    errorLoading: "색인을 불러오는 중입니다. 잠시 후 다시 시도하세요.",
    errorInvalid: "요청을 처리할 수 없습니다: {message}",
    errorForbidden: "토큰이 맞지 않습니다. 다시 보내면 토큰을 새로 묻습니다.",
    errorNoToken: "토큰이 없어 답하지 못했습니다.",
    errorOther: "오류가 났습니다 ({status}): {message}",
    backToChat: "← 대화로",
    documentTitle: "문서",
    loading: "문서를 불러오는 중입니다…",
    highlighted: "인용된 부분({start}–{end}번째 글자)을 표시했습니다.",
    highlightedSection: "인용된 부분({section}, {start}–{end}번째 글자)을 표시했습니다.",
    badSpan: "주소의 구간 {span}은 이 문서에 없습니다.",
    documentText: "문서 본문",
  },
  en: {
    toggle: "한국어",
    chatTitle: "Questions over the documents",
    intro: "Answers come from the indexed statutes and news, with the sentences that support them. " +
      "A follow-up question takes the earlier turns into account.",
    log: "Conversation",
    questionLabel: "Question",
    questionHint: "Enter sends; Shift+Enter starts a new line.",
    send: "Send",
    newConversation: "New conversation",
    newConversationDone: "A new conversation has started.",
    busy: "Looking for the answer…",
    you: "Question",
    service: "Answer",
    abstained: "The documents do not answer this.",
    unindexed: "{names}: not among the indexed documents.",
    meta: "{kind} · confidence {confidence}",
    resolved: "Understood as: {question}",
    latency: "{ms} ms",
    truncated: "The answer is long: only its beginning is shown.",
    citations: "Sources",
    moreCitations: "{count} more sources",
    openSource: "Open the source",
    openSourceLabel: "Open the source: {source}",
    implementedIn: "Details set out in: ",
    kind_short: "Short answer",
    kind_definition: "Definition",
    kind_purpose: "Purpose",
    kind_list: "List",
    kind_duty: "Duty",
    kind_reason: "Reason",
    kind_passage: "Passage",
    tokenHelp: "This server answers only with a read token. The token is forgotten when this page closes.",
    tokenLabel: "Read token",
    tokenSubmit: "OK",
    tokenCancel: "Cancel",
    errorNetwork: "Could not reach the server. Check the connection and try again.",
    errorLoading: "The index is still loading. Try again in a moment.",
    errorInvalid: "The request was refused: {message}",
    errorForbidden: "The token was refused. Send again to enter another one.",
    errorNoToken: "Without a token there is no answer.",
    errorOther: "Something went wrong ({status}): {message}",
    backToChat: "← Back to the chat",
    documentTitle: "Document",
    loading: "Loading the document…",
    highlighted: "The cited span (characters {start}–{end}) is highlighted.",
    highlightedSection: "The cited span ({section}, characters {start}–{end}) is highlighted.",
    badSpan: "The span {span} in the address is not in this document.",
    documentText: "Document text",
  },
};

let language = "ko";

/** The UI string ``key`` in the current language, with ``{name}`` filled from ``args``. */
export function t(key, args = {}) {
  return STRINGS[language][key].replace(/\{(\w+)\}/g, (_, name) => String(args[name]));
}

/**
 * Set ``element``'s text (or, with ``attribute``, that attribute) to a UI string and
 * remember which one, so the language toggle can say it again in the other language.
 */
export function say(element, key, args = {}, attribute = null) {
  const store = attribute === "aria-label" ? "i18nLabel" : "i18n";
  element.dataset[store] = key;
  element.dataset[`${store}Args`] = JSON.stringify(args);
  if (attribute) {
    element.setAttribute(attribute, t(key, args));
  } else {
    element.textContent = t(key, args);
  }
  return element;
}

/** A new element with a class and, optionally, its text. */
export function make(tag, className = "", text = null) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== null) element.textContent = text;
  return element;
}

function applyLanguage() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n, JSON.parse(element.dataset.i18nArgs || "{}"));
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel, JSON.parse(element.dataset.i18nLabelArgs || "{}")));
  }
}

/** The button that switches the labels between Korean and English (answers stay as they are). */
export function setupLanguageToggle(button) {
  button.addEventListener("click", () => {
    language = language === "ko" ? "en" : "ko";
    applyLanguage();
    // The button names the other language, in that language.
    button.lang = language === "ko" ? "en" : "ko";
  });
}

/** A failed API call: ``kind`` is "network", "http", "forbidden" or "no-token". */
export class ApiFailure extends Error {
  constructor(kind, status = 0, message = "") {
    super(message || kind);
    this.kind = kind;
    this.status = status;
  }

  /** The UI string and arguments that say what went wrong. */
  describe() {
    if (this.kind === "network") return ["errorNetwork", {}];
    if (this.kind === "forbidden") return ["errorForbidden", {}];
    if (this.kind === "no-token") return ["errorNoToken", {}];
    if (this.status === 503) return ["errorLoading", {}];
    if (this.status === 422) return ["errorInvalid", { message: this.message }];
    return ["errorOther", { status: this.status, message: this.message }];
  }
}

// The read token lives in this variable only (never in storage or a cookie): it is gone
// when the page closes.
let token = null;

/** A translated element: its text follows the language toggle. */
function labelled(tag, key, className = "") {
  const element = make(tag, className, t(key));
  element.dataset.i18n = key;
  return element;
}

/** The token form's help, label, password field and buttons, built into the page's empty form. */
function fillTokenForm(form) {
  const help = labelled("p", "tokenHelp");
  help.id = "token-help";
  const label = labelled("label", "tokenLabel");
  label.htmlFor = "token";
  const input = make("input");
  Object.assign(input, { id: "token", type: "password", autocomplete: "off", spellcheck: false });
  input.setAttribute("aria-describedby", "token-help");
  const submit = labelled("button", "tokenSubmit");
  submit.type = "submit";
  const cancel = labelled("button", "tokenCancel", "quiet");
  cancel.type = "button";
  const row = make("div", "row");
  row.append(input, submit, cancel);
  form.replaceChildren(help, label, row);
}

/**
 * The page's token form as a function that shows it and resolves with the token the
 * reader enters (or rejects when they cancel).
 */
export function tokenPrompt(form) {
  fillTokenForm(form);
  const input = form.querySelector("input");
  let pending = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!pending || !input.value) return;
    const { resolve } = pending;
    pending = null;
    form.hidden = true;
    const value = input.value;
    input.value = "";
    resolve(value);
  });
  form.querySelector("button[type=button]").addEventListener("click", () => {
    if (!pending) return;
    const { reject } = pending;
    pending = null;
    form.hidden = true;
    reject(new ApiFailure("no-token"));
  });
  return () => new Promise((resolve, reject) => {
    pending = { resolve, reject };
    form.hidden = false;
    input.focus();
  });
}

/**
 * ``method`` ``path`` on this origin with a JSON ``body``; the parsed JSON answer, or an
 * ApiFailure. A 401 asks for the token through ``askToken`` and tries again with it.
 */
export async function callApi(method, path, body, askToken) {
  for (;;) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
      });
    } catch {
      throw new ApiFailure("network");
    }
    if (response.status === 401) {
      token = await askToken();
      continue;
    }
    if (response.status === 403 && token !== null) {
      token = null; // the next call asks again
      throw new ApiFailure("forbidden", 403);
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiFailure("http", response.status, payload?.error?.message ?? response.statusText);
    }
    return payload;
  }
}
