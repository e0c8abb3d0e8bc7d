"""`tilth ask`: answers from the project's docs and operator metadata, with citations.

The corpus is every `docs/*.md` section (split at headings) plus one entry per operator built from its
metadata, so an operator that lands is answerable at once. Offline, the answer is extractive: the
sentences of the best sections that share the most words with the question, each with its source
(`docs/agent.md#offline-planner`, `operator:exact_dedup`). With a chat model configured, the same
passages are given to the model, which must cite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tilth.agent.llm import Chat
from tilth.agent.retrieve import HybridIndex, tokenize

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


@dataclass(frozen=True)
class Passage:
    source: str  # docs/<file>.md#<anchor> or operator:<name>
    title: str
    text: str


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).strip().replace(" ", "-")


def doc_passages(docs_dir: Path = DOCS_DIR) -> list[Passage]:
    out = []
    for path in sorted(Path(docs_dir).glob("*.md")):
        if path.name == "operators.md":  # generated from metadata; operators are indexed from the registry
            continue
        title, buf = path.stem, []
        for line in path.read_text(encoding="utf-8").splitlines() + ["# <end>"]:
            m = re.match(r"#{1,4}\s+(.*)", line)
            if m:
                body = "\n".join(buf).strip()
                if body:
                    out.append(Passage(f"docs/{path.name}#{_anchor(title)}", title, body))
                title, buf = m[1].strip(), []
            else:
                buf.append(line)
    return out


def operator_passages() -> list[Passage]:
    from tilth.ops import all_operators

    out = []
    for cls in all_operators():
        m = cls.metadata()
        params = "; ".join(f"`{p['name']}` ({p['type']}, default {p['default']!r}): {p['description']}" for p in m["params"])
        text = (f"{m['name']} is a {m['kind']} in {m['category']}. {m['description']} It reads "
                f"{', '.join(m['inputs']) or 'no columns'} and writes {', '.join(m['outputs']) or 'no new columns'}. "
                f"Parameters: {params}. Use it in a recipe as `- {m['name']}: {{...}}`.")
        out.append(Passage(f"operator:{m['name']}", m["name"], text))
    return out


class DocQA:
    def __init__(self, docs_dir: Path = DOCS_DIR, use_embeddings: bool = True, chat: Chat | None = None):
        self.passages = doc_passages(docs_dir) + operator_passages()
        # a section heading says what the section is about: weigh it like three mentions in the text
        self.index = HybridIndex([f"{p.title}. {p.title}. {p.title}. {p.text}" for p in self.passages],
                                 use_embeddings=use_embeddings)
        self.chat = chat

    def search(self, question: str, k: int = 3) -> list[tuple[Passage, float]]:
        return [(self.passages[i], s) for i, s in self.index.search(question, k) if s > 0]

    def answer(self, question: str, k: int = 3, max_sentences: int = 4) -> dict:
        hits = self.search(question, k)
        if not hits:
            return {"answer": "I found nothing about that in the docs or the operator metadata.", "citations": []}
        if self.chat is not None:
            ctx = "\n\n".join(f"[{p.source}]\n{p.text}" for p, _ in hits)
            reply = self.chat([{"role": "system", "content": "Answer from the passages only; cite sources in [brackets]."},
                               {"role": "user", "content": f"{ctx}\n\nQuestion: {question}"}])
            return {"answer": reply.strip(), "citations": [p.source for p, _ in hits], "mode": "llm"}
        return {"answer": extract(question, hits, max_sentences), "citations": [p.source for p, _ in hits],
                "mode": "extractive"}


def extract(question: str, hits: list[tuple[Passage, float]], max_sentences: int) -> str:
    """The sentences sharing the most question words, in passage order, each tagged with its source."""
    q = set(tokenize(question))
    scored = []
    for rank, (p, score) in enumerate(hits):
        for j, sent in enumerate(re.split(r"(?<=[.!?])\s+|\n{2,}|\n(?=[-*|`] )", p.text)):
            sent = " ".join(sent.split())
            if len(sent) < 15:
                continue
            overlap = len(q & set(tokenize(sent)))
            if overlap:
                scored.append((overlap + score, -rank, -j, sent, p.source))
    best = sorted(scored, reverse=True)[:max_sentences]
    best.sort(key=lambda t: (-t[1], -t[2]))
    return "\n".join(f"{s} [{src}]" for *_, s, src in best) or f"See [{hits[0][0].source}]."
