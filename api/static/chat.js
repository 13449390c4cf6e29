/**
 * The chat page: sends each question to POST /v1/ask with the turns before it, and shows
 * the answer with its kind, confidence, how the question was understood, and the cited
 * sentences, each linked to the document page at the quoted span.
 */

import { ApiFailure, callApi, make, say, setupLanguageToggle, t, tokenPrompt } from "./common.js";

/** Turns sent as history: enough for a follow-up, small enough to stay fast. */
const MAX_HISTORY = 6;

const log = document.getElementById("log");
const composer = document.getElementById("composer");
const question = document.getElementById("question");
const send = document.getElementById("send");
const status = document.getElementById("status");
const askToken = tokenPrompt(document.getElementById("token-form"));

// This conversation's answered turns, oldest first: {question as typed, answer text or null}.
let turns = [];
let busy = false;

setupLanguageToggle(document.getElementById("language"));
composer.addEventListener("submit", (event) => {
  event.preventDefault();
  ask();
});
question.addEventListener("keydown", (event) => {
  // While an input method composes Hangul, Enter commits the syllable: it must not send.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    ask();
  }
});
document.getElementById("new-conversation").addEventListener("click", () => {
  turns = [];
  log.replaceChildren();
  say(status, "newConversationDone");
  question.focus();
});

async function ask() {
  const text = question.value.trim();
  if (!text || busy) return;
  setBusy(true);
  addBubble("user", "you").append(make("p", "said", text));
  question.value = "";
  const body = { question: text };
  if (turns.length) body.history = turns.slice(-MAX_HISTORY);
  try {
    const answer = await callApi("POST", "/v1/ask", body, askToken);
    showAnswer(text, answer);
    turns.push({ question: text, answer: answer.answer });
  } catch (failure) {
    if (!(failure instanceof ApiFailure)) throw failure;
    const [key, args] = failure.describe();
    say(addBubble("answer error", "service").appendChild(make("p", "said")), key, args);
    if (!question.value) question.value = text; // to send again without retyping
  } finally {
    setBusy(false);
  }
}

function setBusy(on) {
  busy = on;
  send.disabled = on;
  log.setAttribute("aria-busy", String(on));
  status.classList.toggle("busy", on);
  if (on) {
    say(status, "busy");
  } else {
    delete status.dataset.i18n;
    status.textContent = "";
    question.focus();
  }
}

/** A new bubble in the log; ``who`` names the speaker for screen readers. */
function addBubble(className, who) {
  const bubble = make("article", `bubble ${className}`);
  bubble.append(say(make("h2", "sr-only"), who));
  log.append(bubble);
  bubble.scrollIntoView({ block: "nearest" });
  return bubble;
}

function showAnswer(asked, answer) {
  const bubble = addBubble("answer", "service");
  if (answer.resolved_question && answer.resolved_question !== asked) {
    say(bubble.appendChild(make("p", "small resolved")), "resolved", { question: answer.resolved_question });
  }
  if (answer.answer === null) {
    say(bubble.appendChild(make("p", "said")), "abstained");
    if (answer.unindexed_statutes && answer.unindexed_statutes.length) {
      say(bubble.appendChild(make("p", "small unindexed")), "unindexed", {
        names: answer.unindexed_statutes.map((name) => `「${name}」`).join(", "),
      });
    }
  } else {
    say(bubble.appendChild(make("p", "small meta")), "meta", {
      kind: t(`kind_${answer.answer_kind}`), confidence: answer.confidence.toFixed(2),
    });
    bubble.append(answerText(answer));
    if (answer.truncated) say(bubble.appendChild(make("p", "small")), "truncated");
    if (answer.citations.length) bubble.append(citations(answer));
  }
  say(bubble.appendChild(make("p", "small latency")), "latency", { ms: Math.round(answer.timings_ms.total) });
  bubble.scrollIntoView({ block: "nearest" });
  if (bubble.getBoundingClientRect().top < 0) {
    // Taller than the window: a long answer is read from the top, under its question.
    bubble.previousElementSibling.scrollIntoView({ block: "start" });
  }
}

/** The answer as shown: a list's items one per line, otherwise the answer span. */
function answerText(answer) {
  if (answer.answer_kind === "list" && answer.items.length) {
    const list = make("ul", "said items");
    list.lang = "ko";
    for (const item of answer.items) list.append(make("li", "", item.text));
    return list;
  }
  const paragraph = make("p", answer.answer_kind === "short" ? "said short" : "said passage", answer.answer);
  paragraph.lang = "ko";
  return paragraph;
}

/** The first citation in full; the others folded under a disclosure. */
function citations(answer) {
  const section = make("section", "citations");
  section.append(say(make("h3", "small"), "citations"));
  const [first, ...rest] = answer.citations;
  section.append(citationList([first], answer.answer));
  if (rest.length) {
    const more = make("details");
    more.append(say(make("summary", "small"), "moreCitations", { count: rest.length }), citationList(rest, null));
    section.append(more);
  }
  return section;
}

function citationList(citations, highlight) {
  const list = make("ol", "sources");
  for (const citation of citations) {
    const item = make("li", "source");
    const where = citation.section ? `${citation.title} ${citation.section}` : citation.title;
    const heading = make("p", "small origin", citation.title);
    if (citation.section) heading.append(" ", make("span", "section", citation.section));
    const link = make("a");
    link.href = `/documents/${encodeURIComponent(citation.doc_id)}#${citation.start}-${citation.end}`;
    link.target = "_blank"; // the conversation lives in this page only: keep it open
    link.rel = "noopener";
    say(link, "openSource");
    say(link, "openSourceLabel", { source: where }, "aria-label");
    item.append(heading, quote(citation.quote, highlight), link);
    if (citation.implemented_in && citation.implemented_in.length) item.append(implementations(citation.implemented_in));
    list.append(item);
  }
  return list;
}

/** The decree articles that set out what the cited article leaves to them, each a link to its span. */
function implementations(references) {
  const line = make("p", "small implemented");
  line.append(say(make("span"), "implementedIn")); // a span of its own: a change of language rewrites only it
  references.forEach((reference, n) => {
    const link = make("a", "", `${reference.title} ${reference.section}`);
    link.href = `/documents/${encodeURIComponent(reference.doc_id)}#${reference.start}-${reference.end}`;
    link.target = "_blank";
    link.rel = "noopener";
    line.append(n ? ", " : "", link);
  });
  return line;
}

/** The quote as text, with the first occurrence of ``highlight`` in a <mark>. */
function quote(text, highlight) {
  const block = make("blockquote", "quote");
  block.lang = "ko";
  const at = highlight ? text.indexOf(highlight) : -1;
  if (at < 0) {
    block.textContent = text;
  } else {
    block.append(text.slice(0, at), make("mark", "", highlight), text.slice(at + highlight.length));
  }
  return block;
}
