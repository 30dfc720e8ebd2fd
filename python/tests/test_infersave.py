"""Tests of the Python module (python/infersave_module.cc): the same documents
as `infersave ... --format json`, and ValueError naming the field."""
import json
import os
import subprocess

import pytest

import infersave

SOURCE = os.environ.get("INFERSAVE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def test_default_plan_picks_what_the_cli_picks():
    plan = infersave.plan()
    # The README's `make run`: opt-2.7b at 400 tok/s on the aws catalog.
    assert plan["recommendation"]["instance"] == "g4dn.xlarge"
    assert plan["schema_version"] == 1
    assert plan["context"]["tool"] == "infersave"


def test_keyword_arguments_are_request_fields():
    plan = infersave.plan(model="llama-3.1-8b", slo_tps=400, catalog="paper", batch_size=16, top=10)
    assert plan["inputs"]["model"]["name"] == "llama-3.1-8b"
    assert plan["inputs"]["workload"]["batch_size"] == 16
    assert plan["inputs"]["catalog"]["name"] == "paper"
    assert len(plan["candidates"]) == 4  # the paper's four instances


def test_online_plan_predict_simulate():
    online = infersave.plan(model="llama-3.1-8b", catalog="paper", rate=2, slo_ttft_ms=500, sim_requests=300)
    assert online["mode"] == "online"
    assert online["recommendation"] is not None
    predict = infersave.predict(instance="g5.xlarge")
    assert predict["prediction"]["instance"] == "g5.xlarge"
    sim = infersave.simulate(instance="g5.xlarge", users=1, sim_requests=20)
    # One request at a time: every request sees the same TTFT.
    assert sim["ttft"]["p50_ms"] == sim["ttft"]["p99_ms"]


def test_emit_returns_the_deployment_text():
    text = infersave.plan(emit="skypilot")
    assert "instance_type: g4dn.xlarge" in text


def test_lists():
    names = [m["name"] for m in infersave.models()["models"]]
    assert "llama-3.1-8b" in names and "deepseek-v3" in names
    assert len(infersave.instances("paper")["instances"]) == 4
    assert "vllm" in [e["name"] for e in infersave.engines()["engines"]]


@pytest.mark.parametrize(
    "kwargs, field, text",
    [
        ({"batch_size": -5}, "batch_size", "batch_size must be between 1 and 1048576, got -5"),
        ({"slo_tps": -1}, "slo_tps", "slo_tps must be a number >= 0"),
        ({"batch_sise": 4}, "batch_sise", "unknown request field \"batch_sise\" (did you mean 'batch_size'?)"),
        ({"model": "lama-3.1-8b"}, "model", "llama-3.1-8b"),
        ({"batch_size": "64"}, "batch_size", "batch_size: expected a whole number"),
        ({"rate": 1, "batch_size": 8}, "batch_size", "batch_size does not apply to online serving"),
    ],
)
def test_errors_raise_value_error_naming_the_field(kwargs, field, text):
    with pytest.raises(ValueError) as info:
        infersave.plan(**kwargs)
    assert info.value.field == field
    assert text in str(info.value)


def test_predict_unknown_instance():
    with pytest.raises(ValueError) as info:
        infersave.predict(instance="g5.xlarg")
    assert info.value.field == "instance"
    assert info.value.code == "not_found"


def test_same_document_as_the_cli():
    binary = os.path.join(os.path.dirname(infersave.__file__), "..", "infersave")
    if not os.path.exists(binary):
        pytest.skip("the infersave binary is not next to the module")
    args = ["plan", "--model", "mistral-7b", "--slo-tps", "800", "--today", "2026-12-06", "--format", "json"]
    cli = json.loads(subprocess.run([binary] + args, check=True, capture_output=True, text=True).stdout)
    py = infersave.plan(model="mistral-7b", slo_tps=800, today="2026-12-06")
    assert py == cli


def test_calibrate_from_a_measurements_csv(tmp_path):
    # Two runs of one group cannot be cross-validated in 5 folds: the report
    # says so and nothing is fitted, without an exception.
    csv = tmp_path / "runs.csv"
    csv.write_text(
        "gpu,engine,model,batch_size,input_len,output_len,phase,measured_s\n"
        "A100-80GB,vllm,llama-3.1-8b,8,512,1,prefill,0.05\n"
    )
    with pytest.raises(ValueError) as info:
        infersave.calibrate([str(csv)], folds=1)
    assert info.value.field == "folds"


def test_calibrate_reads_a_benchmark_tools_file():
    # A real `vllm bench serve` result (tests/fixtures/bench/SOURCES.md): the
    # keywords supply the GPU, engine and precision the file lacks; one load
    # is fitted but not shipped, so no calibration comes back.
    result_file = os.path.join(SOURCE, "tests", "fixtures", "bench",
                               "lambdalabs-benchmark_serving-v0.5.4-detailed.json")
    out = infersave.calibrate([result_file], gpu="H100", engine="vllm", precision="fp8")
    group = out["report"]["serving"]["groups"][0]
    assert group["gpu"] == "H100"
    assert group["runs"] == 1
    assert group["shipped"] is False
    assert out["calibration"] is None
    with pytest.raises(ValueError) as info:
        infersave.calibrate([result_file], engine="vllm")
    assert "give the GPU or the instance" in str(info.value)


def test_validate_scores_a_benchmark_tools_file():
    # The real SGLang bench_serving file of Llama-3.3-70B on 8 x H200
    # (tests/fixtures/bench/SOURCES.md): 7 runs at 5 loads; the uncalibrated
    # output throughput is within 4.68% (median) of the measured.
    result_file = os.path.join(SOURCE, "tests", "fixtures", "bench",
                               "sglang-2024-12-datacrunch-llama33-70b-online.jsonl")
    report = infersave.validate(result_file, gpu="H200", engine="vllm", model="llama-3.3-70b", tp=8)
    group = report["serving"]["groups"][0]
    assert group["gpu"] == "H200"
    assert group["runs"] == 7
    assert group["error_uncalibrated"]["median_ape_pct"] == pytest.approx(4.68, abs=0.01)
    with pytest.raises(ValueError) as info:
        infersave.validate(result_file, gpu="H200", folds=1)
    assert info.value.field == "folds"
