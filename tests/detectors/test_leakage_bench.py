"""``guardline bench leakage`` end to end on a few hand-written dialogues in ABCD's format (the real
data is not needed by the test suite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardline.bench.leakage_data import FORMATS, load_dialogues
from guardline.cli import main

DIALOGUES = [
    ["SYS:Hello, how can I help?\n\nUSR:I need to return my jeans, they are far too small for me sadly\n\n"
     "SYS:May I have your name?\n\nUSR:Crystal Minh\n\nACT:Account has been pulled up for Crystal Minh.\n\n"
     "SYS:Thanks. Username, email and order id please?\n\nUSR:cminh730\n\nUSR:cminh730@email.com\n\n"
     "USR:Order ID: 3348917502\n\nSYS:Thanks Crystal, the return is booked.\n\n", "return_size"],
    ["SYS:Hi! What can I do for you?\n\nUSR:my name is David Williams and I forgot my username\n\n"
     "ACT:Account has been pulled up for David Williams.\n\nSYS:Zip code and phone please?\n\nUSR:14224\n\n"
     "USR:(791) 582-4288\n\nSYS:Your username on file is dwilliams1\n\nUSR:great thanks a lot for your help\n\n",
     "recover_username"],
    ["SYS:Welcome to Acme, how may I help?\n\nUSR:Hi it is Joyce Wu, is the promo code still valid for boots\n\n"
     "ACT:Account has been pulled up for Joyce Wu.\n\nSYS:Yes, it is valid until Friday.\n\nUSR:ok bye\n\n",
     "promo_code"],
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "abcd" / "sdp_transformers_copy"
    root.mkdir(parents=True)
    (root / "abcd_classification_original_valid.json").write_text(json.dumps(DIALOGUES))
    return tmp_path


def test_values_are_extracted_from_the_dialogue(data: Path) -> None:
    d0, d1, d2 = load_dialogues(data / "abcd", "dev")
    assert {(v.type, v.text) for v in d0.values} == {
        ("name", "Crystal Minh"), ("username", "cminh730"), ("email", "cminh730@email.com"),
        ("order_id", "3348917502")}
    assert {(v.type, v.text) for v in d1.values} == {("name", "David Williams"), ("zip", "14224"),
                                                     ("phone", "(791) 582-4288")}
    assert ("username", "dwilliams1") in {(v.type, v.text) for v in d1.record}  # said by the agent
    assert {v.text for v in d2.values} == {"Joyce Wu"}
    assert FORMATS["phone"]("(791) 582-4288")["e164"] == "+17915824288"


def test_bench_runs_end_to_end(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "leakage", "--data", str(data), "--split", "dev", "--fingerprints", "2000",
                 "--perf-messages", "20", "--perf-rounds", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    crm = report["accuracy_crm"]
    assert crm["summary"]["recall_exact"] == 1.0 and crm["summary"]["recall_reformatted"] == 1.0
    assert crm["clean_replies_with_finding"] == 0
    assert crm["summary"]["n_text_run"] >= 1
    assert report["accuracy_inbound"]["summary"]["recall_by_type"]["email"] == 1.0
    assert all(r > 0 for r in report["throughput"]["ratios"].values())
    assert 0 < report["memory"]["bytes_per_fp"] < 1000
