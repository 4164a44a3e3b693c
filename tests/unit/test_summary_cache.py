"""The Documents page reruns on every click: the same summary is computed once per process."""

from __future__ import annotations

from services.documents import summarize_text
from workbench.embeddings import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().encode(texts, **kwargs)


TEXT = " ".join(
    f"Revenue in segment {i} rose {i + 3}% to ${i + 1}.{i} billion in the third quarter."
    for i in range(12)
)


def test_a_repeated_summary_of_the_same_text_and_length_is_not_recomputed():
    embedder = CountingEmbedder()
    _, first = summarize_text(TEXT, embedder=embedder, max_sentences=3)
    _, again = summarize_text(TEXT, embedder=embedder, max_sentences=3)
    assert embedder.calls == 1
    assert again == first


def test_another_length_or_text_is_summarised_afresh():
    embedder = CountingEmbedder()
    summarize_text(TEXT + " Net income was $4 million.", embedder=embedder, max_sentences=3)
    summarize_text(TEXT + " Net income was $4 million.", embedder=embedder, max_sentences=2)
    assert embedder.calls == 2
