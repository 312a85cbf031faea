"""What classifying one report costs a web process: `python -m bench.classify`.

Trains the shipped model (seed corpus and labelled corpus, in this process), serialises and
reloads it as a web process does, then reads every message of the evaluation set `rounds` times
(one thread) and prints the median and 99th percentile of one reading (remit, matters, channel),
the model's size, and the memory the loaded model takes. The intake benchmark with `--classify`
measures the same cost under load, in server CPU per report.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

from urbanops.reports import classifier, evaluation, training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    samples = evaluation.packaged_samples()
    print(f"… training on {len(samples)} messages")
    blob = training.train(samples).to_bytes()
    gc.collect()
    tracemalloc.start()
    model = classifier.TextClassifier.from_bytes(blob)
    loaded, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    texts = [row.text for row in evaluation.evaluation_set()]
    times: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            model.assess(text)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    chars = statistics.median(len(t) for t in texts)
    print(
        f"model: bytes={len(blob) / 2**20:.1f}MiB in_memory={loaded / 2**20:.1f}MiB "
        f"features={model.weights.shape[0]} classes={model.weights.shape[1]}"
    )
    print(
        f"classify: texts={len(texts)} median_chars={chars:.0f} "
        f"p50_ms={times[len(times) // 2]:.2f} p99_ms={times[int(len(times) * 0.99)]:.2f}"
    )


if __name__ == "__main__":
    main()
