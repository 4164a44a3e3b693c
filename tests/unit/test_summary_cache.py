"""The Documents page reruns on every click: the same summary is computed once per process."""

from __future__ import annotations

import threading
import time

import pytest

from services.documents import summarize_text
from workbench.embeddings import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        time.sleep(0.05)  # long enough for the other sessions to arrive while it works
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


def test_sessions_asking_at_once_for_a_new_summary_compute_it_once():
    embedder = CountingEmbedder()
    text = TEXT + " Sessions opened this document together."
    start = threading.Barrier(8)
    results = []

    def session() -> None:
        start.wait()
        results.append(summarize_text(text, embedder=embedder, max_sentences=3)[1])

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert embedder.calls == 1
    assert len(results) == 8 and all(r == results[0] for r in results)


def test_a_failed_summary_is_not_cached_and_the_next_caller_tries_again():
    class Failing(CountingEmbedder):
        def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("model crashed")
            return HashingEmbedder.encode(self, texts, **kwargs)

    embedder = Failing()
    text = TEXT + " A model that fails once."
    with pytest.raises(RuntimeError, match="model crashed"):
        summarize_text(text, embedder=embedder, max_sentences=3)
    _, summary = summarize_text(text, embedder=embedder, max_sentences=3)
    assert embedder.calls == 2 and summary.sentences
