/**
 * The document page: GET /v1/documents/{doc_id} shown as its normalised text (the string
 * every citation offset indexes), with the span named by the fragment ``#start-end``
 * marked and scrolled into view, so a reader sees exactly what an answer quoted.
 */

import { ApiFailure, callApi, make, say, setupLanguageToggle, tokenPrompt } from "./common.js";

const title = document.getElementById("title");
const meta = document.getElementById("meta");
const status = document.getElementById("status");
const body = document.getElementById("text");

let documentShown = null;

setupLanguageToggle(document.getElementById("language"));
window.addEventListener("hashchange", () => documentShown && showText(documentShown));
load();

async function load() {
  const docId = decodeURIComponent(location.pathname.split("/").pop());
  try {
    documentShown = await callApi(
      "GET", `/v1/documents/${encodeURIComponent(docId)}`, undefined,
      tokenPrompt(document.getElementById("token-form")),
    );
  } catch (failure) {
    if (!(failure instanceof ApiFailure)) throw failure;
    say(status, ...failure.describe());
    return;
  }
  delete title.dataset.i18n;
  title.textContent = documentShown.title;
  document.querySelector("title").removeAttribute("data-i18n");
  document.title = documentShown.title;
  meta.textContent = [documentShown.date, documentShown.publisher, documentShown.source].filter(Boolean).join(" · ");
  showText(documentShown);
}

/** The text, with text[start:end] in a <mark> when the fragment names a span inside it. */
function showText(shown) {
  const text = shown.text;
  const span = /^#(\d+)-(\d+)$/.exec(location.hash);
  if (!span) {
    body.textContent = text;
    status.textContent = "";
    delete status.dataset.i18n;
    return;
  }
  const [start, end] = [Number(span[1]), Number(span[2])];
  if (!(start < end && end <= [...text].length)) {
    body.textContent = text;
    say(status, "badSpan", { span: `${start}-${end}` });
    return;
  }
  const [from, to] = [unitIndex(text, start), unitIndex(text, end)];
  const mark = make("mark", "", text.slice(from, to));
  mark.id = "cited";
  body.replaceChildren(text.slice(0, from), mark, text.slice(to));
  const section = innermostSection(shown.sections, start, end);
  if (section) {
    say(status, "highlightedSection", { section: section.label, start, end });
  } else {
    say(status, "highlighted", { start, end });
  }
  mark.scrollIntoView({ block: "center" });
}

/**
 * Where code point ``offset`` of ``text`` is in JavaScript's UTF-16 units: the API counts
 * code points, and the two part ways after any character outside the BMP (an emoji, a rare
 * Hanja), which takes two units.
 */
function unitIndex(text, offset) {
  let units = 0;
  for (let points = 0; points < offset; points += 1) {
    units += text.codePointAt(units) > 0xffff ? 2 : 1;
  }
  return units;
}

/** The smallest statute section (조 or 항) that holds the whole span, if any. */
function innermostSection(sections, start, end) {
  const holding = sections.filter((s) => s.start <= start && end <= s.end);
  holding.sort((a, b) => (a.end - a.start) - (b.end - b.start));
  return holding[0] ?? null;
}
