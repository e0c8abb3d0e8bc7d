"""`tilth ask`: answers from the project's docs and operator metadata, with citations.

The corpus (tilth/agent/doccorpus.py) is README.md and docs/**/*.md split at headings, plus one card per
operator built from its metadata. Offline, the answer is extractive: the sentences, list items and code
lines of the best passages that share the most words with the question, each tagged with its source
(`README.md#how-a-run-works`, `operator:exact_dedup`). With a chat model configured, the same passages
go to the model, which must cite them; if the model cannot be reached the extractive answer is returned
with a one-line note, because a question about the docs should never end in a traceback.

Ranking is the hybrid BM25 + MiniLM score (tilth/agent/retrieve.py, with a tokenizer that also joins
logged/log and saving/save) over small pieces, plus three corrections learnt from questions users ask
(tuned on tilth/agent/eval/docqa_dev.jsonl only):
- a heading says what a piece is about, so question words in it count extra;
- "how do I export to Parquet" is about writing, not about the `read_parquet` reader: when a question's
  verbs say write (export/save/write) and not read, or the reverse, pieces of the opposite direction
  (readers, or sections titled with reading) are scaled down;
- a summary that names another doc (README's "LLM layer (`docs/llm.md`): ...") is scaled down, so the
  doc it points to comes first.
"""

from __future__ import annotations

import re
from pathlib import Path

from tilth.agent.doccorpus import Passage, doc_passages, find_root, operator_passages, pieces
from tilth.agent.docextract import extract
from tilth.agent.llm import Chat
from tilth.agent.retrieve import HybridIndex, tokenize

__all__ = ["DocQA", "Passage", "doc_passages", "extract", "find_root"]


def _stem_more(t: str) -> str:
    """Stems that retrieve.tokenize leaves apart: logged/log (logg), running/run (runn), save/saving (sav)."""
    if len(t) >= 4 and t[-1] == t[-2] and t[-1] not in "aeiouls":
        t = t[:-1]
    return t[:-1] if len(t) > 3 and t.endswith("e") else t


def doc_tokenize(text: str) -> list[str]:
    return [_stem_more(t) for t in tokenize(text)]


# stemmed as questions and titles are
WRITE = frozenset(doc_tokenize("export exporting exported write writing save saving dump output"))
READ = frozenset(doc_tokenize("read reading load loading ingest import input reader"))
# A question whose best cosine with every piece is below this is not about Tilth ("the capital of France"):
# the hybrid score ranks relative to the best piece, so something always comes first. The dev questions'
# lowest best cosine is 0.29 (tilth/agent/eval/docqa_dev.jsonl), unrelated questions score 0.14-0.20.
OFF_TOPIC = 0.22
LLM_CHARS = 6000  # of each section given to the model (one results section alone is 14k characters)
NO_DOCS = ("the docs (README.md, docs/) were not found next to this installation, so this answer comes from "
           "operator metadata only; set TILTH_DOCS_ROOT to a Tilth checkout to include them")


def direction(tokens: set[str]) -> str | None:
    """The direction a question or title is about: "write", "read" or None (both or neither)."""
    w, r = bool(tokens & WRITE), bool(tokens & READ)
    return "write" if w and not r else "read" if r and not w else None


class DocQA:
    """Retrieval ranks small pieces (a labelled item, a chunk of a long section, an operator card); the
    answer is drawn from the whole section of each of the best k pieces, which is also what is cited."""

    def __init__(self, root: Path | None = None, use_embeddings: bool = True, chat: Chat | None = None,
                 alpha: float = 0.3, title_weight: float = 0.3, intent_penalty: float = 0.5,
                 pointer_penalty: float = 0.7, embed_chars: int = 400):
        root = root if root is not None else find_root()
        self.note = None if root is not None else NO_DOCS
        sections, cards = (doc_passages(root) if root is not None else []), operator_passages()
        self.sections = {p.source: p for p in sections + cards}
        self.passages = [piece for p in sections for piece in pieces(p)] + cards
        texts = [f"{p.context}. {p.title}. {p.text}" for p in self.passages]
        emb = None
        if use_embeddings and texts:  # the lead of each piece (MiniLM is a sentence model), cached on disk
            from tilth.agent.embed import encode_cached

            emb = encode_cached([t[:embed_chars] for t in texts])
        self.index = HybridIndex(texts, use_embeddings=use_embeddings, alpha=alpha, tokenizer=doc_tokenize,
                                 embeddings=emb)
        self._titles = [set(doc_tokenize(p.title)) for p in self.passages]
        self._dirs = ["read" if p.kind == "reader" else direction(t)
                      for p, t in zip(self.passages, self._titles, strict=True)]
        self._pointers = [_points_elsewhere(p) for p in self.passages]
        self.title_weight, self.intent_penalty, self.pointer_penalty = title_weight, intent_penalty, pointer_penalty
        self.chat = chat

    def scores(self, question: str):
        """One score per piece: hybrid retrieval, plus question words in the title, times the penalties."""
        s = self.index.scores(question)
        q = set(doc_tokenize(question))
        if not q:
            return s
        want = direction(q)
        # "resume a crashed run": a question that says a command's word is about `tilth run`, not `tilth train`
        said = {c for c in COMMANDS if re.search(rf"\b{c}\b", question.lower())}
        for i, title in enumerate(self._titles):
            s[i] += self.title_weight * len(q & title) / len(q)
            if said:  # a piece that shows another command, and not the one asked about, is about that other one
                text = self.passages[i].text
                if any(f"tilth {c}" in text for c in said):
                    s[i] *= 1 + COMMAND_BONUS
                elif any(f"tilth {c}" in text for c in COMMANDS):
                    s[i] *= 1 - COMMAND_BONUS
            if want and self._dirs[i] and self._dirs[i] != want:
                s[i] *= self.intent_penalty
            if self._pointers[i]:
                s[i] *= self.pointer_penalty
        return s

    def search(self, question: str, k: int = 3) -> list[tuple[Passage, float]]:
        """The sections of the best k pieces with a positive score, one per section, best first."""
        s = self.scores(question)
        out, seen = [], set()
        for i in sorted(range(len(s)), key=lambda i: -s[i]):
            if s[i] <= 0 or len(out) == k:
                break
            src = self.passages[i].source
            if src not in seen:
                seen.add(src)
                out.append((self.sections[src], float(s[i])))
        return out

    def on_topic(self, question: str) -> bool:
        """Whether some piece of the docs is about the question at all (always true without embeddings)."""
        best = self.index.best_similarity(question)
        return best is None or best >= OFF_TOPIC

    def answer(self, question: str, k: int = 3, max_sentences: int = 4) -> dict:
        hits = self.search(question, k) if self.on_topic(question) else []
        notes = [self.note] if self.note else []
        if not hits:
            return {"answer": "I found nothing about that in the docs or the operator metadata.", "citations": [],
                    "mode": "none", "note": " ".join(notes) or None}
        citations = [p.source for p, _ in hits]
        if self.chat is not None:
            ctx = "\n\n".join(f"[{p.source}]\n{p.text[:LLM_CHARS]}" for p, _ in hits)
            try:
                reply = self.chat([{"role": "system", "content": "Answer from the passages only; cite sources in [brackets]."},
                                   {"role": "user", "content": f"{ctx}\n\nQuestion: {question}"}])
                return {"answer": reply.strip(), "citations": citations, "mode": "llm", "note": " ".join(notes) or None}
            except Exception as e:  # any failure of the model (refused, timeout, HTTP error): answer without it
                where = getattr(self.chat, "endpoint", "the configured endpoint")
                notes.append(f"the chat model ({where}) failed ({_short(e)}); this is the extractive answer.")
        text = extract(question, hits, max_sentences, doc_tokenize, self.index.bm25.idf)
        return {"answer": text, "citations": citations, "mode": "extractive", "note": " ".join(notes) or None}


COMMANDS = ("run", "train", "agent", "ask", "ui", "sql", "validate", "docs")  # `tilth <command>` words
COMMAND_BONUS = 0.2


def _points_elsewhere(p: Passage) -> bool:
    """A summary that names another doc (README's "LLM layer (`docs/llm.md`): ...") defers to that doc."""
    own = p.source.split("#")[0]
    return any(ref != own for ref in re.findall(r"docs/[\w/.-]+?\.md", p.text))


def _short(e: Exception) -> str:
    msg = " ".join(str(e).split())
    return f"{type(e).__name__}: {msg[:160]}"
