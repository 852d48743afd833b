"""The false-positive bench's loaders (``guardline bench grounding --fp``) on tiny hand-made copies of
the ABCD and SGD formats: which replies are read and what grounding each one gets."""

from __future__ import annotations

import json
from pathlib import Path

from guardline.bench.grounding_fp import abcd_replies, flagged_types, sgd_replies
from guardline.detectors.grounding import GroundingDetector
from guardline.keys import KeyRing


def _abcd(root: Path) -> None:
    (root / "abcd" / "sdp_transformers_copy").mkdir(parents=True)
    dialogue = ("SYS:Hello. How may I help you today?\n\nUSR:My refund never came.\n\n"
                "ACT:A refund has been made for the amount of $40.\n\nSYS:I refunded $40 today.\n\n")
    (root / "abcd" / "sdp_transformers_copy" / "abcd_classification_original_valid.json").write_text(
        json.dumps([[dialogue, "refund_status"]]), encoding="utf-8")
    (root / "abcd" / "ontology.json").write_text(json.dumps(
        {"intents": {"subflows": {"product_defect": ["refund_status"]}}}), encoding="utf-8")
    (root / "abcd" / "guidelines.json").write_text(json.dumps({"Product Defect": {
        "description": "refunds", "subflows": {"Refund Status": {"instructions": "Check the refund.",
                                                                 "actions": [{"text": "Pull up", "subtext": []}]}}}}),
        encoding="utf-8")


def _sgd(root: Path) -> None:
    (root / "sgd-test-subset").mkdir(parents=True)
    frame = {"service": "RideSharing_2", "actions": []}
    turns = [
        {"speaker": "USER", "utterance": "A ride for 1 please.", "frames": [{**frame, "actions": [
            {"act": "INFORM", "slot": "number_of_seats", "values": ["1"], "canonical_values": ["1"]}]}]},
        {"speaker": "SYSTEM", "utterance": "Where to?", "frames": [frame]},
        {"speaker": "SYSTEM", "utterance": "Your cab arrives in 4 minutes and costs $14.43.", "frames": [
            {**frame, "service_call": {"method": "GetRide", "parameters": {}},
             "service_results": [{"ride_fare": "14.43", "wait_time": "4"}]}]},
        {"speaker": "SYSTEM", "utterance": "", "frames": [frame]},
    ]
    dialogues = [{"dialogue_id": "1_00000", "turns": turns}, {"dialogue_id": "1_00001", "turns": turns}]
    (root / "sgd-test-subset" / "dialogues_001.json").write_text(json.dumps(dialogues), encoding="utf-8")


def test_abcd_replies_carry_the_dialogue_so_far_and_the_flow_guideline(tmp_path: Path) -> None:
    _abcd(tmp_path)
    replies = list(abcd_replies(tmp_path, "dev"))
    assert [r.text for r in replies] == ["Hello. How may I help you today?", "I refunded $40 today."]
    history, kb = replies[1].grounding
    assert "$40" in history.text and "SYS: Hello" in history.text
    assert kb.kind == "kb" and "Check the refund." in kb.text
    det, keys = GroundingDetector(), KeyRing(b"x" * 32)
    assert flagged_types(det, replies[0], False, keys) == []  # a greeting, ungrounded
    assert flagged_types(det, replies[1], True, keys) == []  # the ACT line supports the refund


def test_sgd_replies_take_one_half_and_build_a_tool_source(tmp_path: Path) -> None:
    _sgd(tmp_path)
    dev = list(sgd_replies(tmp_path, "dev"))
    test = list(sgd_replies(tmp_path, "test"))
    assert {r.dialogue for r in dev} == {"1_00000"} and {r.dialogue for r in test} == {"1_00001"}
    assert [r.text for r in dev] == ["Where to?", "Your cab arrives in 4 minutes and costs $14.43."]
    record = json.loads(dev[1].grounding[0].text)
    assert record["results"] == [{"ride_fare": "14.43", "wait_time": "4"}]
    assert record["user_request"] == {"number_of_seats": ["1"]}
    det, keys = GroundingDetector(), KeyRing(b"x" * 32)
    assert flagged_types(det, dev[1], True, keys) == []
    assert flagged_types(det, dev[1], False, keys) != []  # ungrounded, the fare is a claim
