// The Python module (issue 14): `import infersave`. Keyword arguments map onto
// the library's JobRequest through the same JSON mapping as the service, and
// every function returns the dict of the document `--format json` prints.
// Errors raise ValueError naming the field (its `field` and `code`
// attributes say which and why). Paths in arguments are read from the local
// file system: the module runs on the user's own machine.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <sstream>
#include <string>

#include "infersave/calibrate_job.h"
#include "infersave/job.h"
#include "infersave/report.h"

namespace py = pybind11;

namespace {

using infersave::Error;
using infersave::JobRequest;
using infersave::Outcome;
using infersave::Result;

[[noreturn]] void Raise(const Error& e) {
  py::object error = py::module_::import("builtins").attr("ValueError")(e.message(infersave::RequestField));
  error.attr("field") = infersave::RequestField(e.field());
  error.attr("code") = std::string(infersave::ErrorCodeName(e.code()));
  PyErr_SetObject(PyExc_ValueError, error.ptr());
  throw py::error_already_set();
}

py::object Loads(const std::string& text) { return py::module_::import("json").attr("loads")(text); }

// The keyword arguments as a job request; the document is always JSON.
JobRequest Request(const py::kwargs& kwargs) {
  for (const auto& [key, value] : kwargs) {
    if (py::str(key).cast<std::string>() == "format") {
      Raise(infersave::InvalidArgument("format: the Python module returns the JSON document as a dict"));
    }
  }
  const std::string body = py::module_::import("json").attr("dumps")(kwargs).cast<std::string>();
  Result<JobRequest> request = infersave::ParseJobRequest(body);
  if (!request.ok()) Raise(request.error());
  request->format = "json";
  return std::move(request).value();
}

// The fields calibrate() and validate() share; their reports are JSON.
void FillMeasurements(infersave::MeasurementsRequest& r, const std::string& data_dir, const std::string& gpu_table,
                      const std::string& perf_model, int folds, infersave::MeasurementsRequest::RunFields run) {
  r.data_dir = data_dir;
  r.gpu_table = gpu_table;
  r.perf_model = perf_model;
  r.folds = folds;
  r.run = std::move(run);
  r.format = "json";
}

// Runs a request without the GIL; its error raises ValueError.
template <typename Outcome, typename Run>
Outcome Released(Run run) {
  Result<Outcome> outcome = Outcome{};
  {
    py::gil_scoped_release release;
    outcome = run();
  }
  if (!outcome.ok()) Raise(outcome.error());
  return std::move(outcome).value();
}

template <typename Run>
py::object RunJob(const py::kwargs& kwargs, Run run) {
  const JobRequest request = Request(kwargs);
  std::ostringstream out;
  Result<Outcome> outcome = Outcome{};
  {
    py::gil_scoped_release release;
    outcome = run(request, infersave::CurrentDate(), out);
  }
  if (!outcome.ok()) Raise(outcome.error());
  if (!request.emit.empty()) {
    if (!outcome->note.empty()) {
      Raise(infersave::InvalidArgument(infersave::RenderFieldRefs(outcome->note, infersave::RequestField)));
    }
    return py::str(out.str());
  }
  return Loads(out.str());
}

py::object List(const std::function<infersave::Status(std::ostream&)>& write) {
  std::ostringstream out;
  if (infersave::Status s = write(out); !s.ok()) Raise(s.error());
  return Loads(out.str());
}

}  // namespace

PYBIND11_MODULE(infersave, m) {
  m.doc() = "InferSave: the cheapest cloud GPU instances for an LLM workload. Keyword arguments are the CLI's long "
            "options with underscores (model, catalog, slo_tps, rate, slo_ttft_ms, ...); results are the JSON "
            "documents of `infersave ... --format json`, as dicts.";
  m.attr("__version__") = infersave::LibraryVersion();

  m.def(
      "plan",
      [](const py::kwargs& kw) {
        return RunJob(kw, [](const JobRequest& r, const std::string& today, std::ostream& out) {
          return infersave::RunPlanRequest(r, infersave::LocalFiles(), today, out);
        });
      },
      "The cheapest instance for a batch job, or for a service when rate / slo_ttft_ms / slo_tpot_ms is given. "
      "With emit='skypilot' | 'vllm' | 'flexgen', the deployment text (str).");
  m.def(
      "predict",
      [](const py::kwargs& kw) {
        return RunJob(kw, [](const JobRequest& r, const std::string& today, std::ostream& out) {
          return infersave::RunPredictRequest(r, infersave::LocalFiles(), today, out);
        });
      },
      "One instance's memory, offload, time and cost (instance=...).");
  m.def(
      "simulate",
      [](const py::kwargs& kw) {
        return RunJob(kw, [](const JobRequest& r, const std::string& today, std::ostream& out) {
          return infersave::RunSimulateRequest(r, infersave::LocalFiles(), today, out);
        });
      },
      "One instance under a request stream (instance=..., and rate=... or users=...).");
  m.def(
      "models", [] { return List([](std::ostream& out) { return infersave::WriteModelList(out, "json"); }); },
      "The shipped models.");
  m.def(
      "instances",
      [](const std::string& catalog, const std::string& gpu_table) {
        return List([&](std::ostream& out) {
          return infersave::WriteInstanceList(catalog, gpu_table, infersave::LocalFiles(), out, "json");
        });
      },
      py::arg("catalog") = "aws", py::arg("gpu_table") = "", "A catalog's instances (a shipped name or a CSV path).");
  m.def(
      "engines", [] { return List([](std::ostream& out) { return infersave::WriteEngineList(out, "json"); }); },
      "The shipped engine profiles.");
  m.def(
      "calibrate",
      [](std::vector<std::string> measurements, const std::string& data_dir, const std::string& catalog,
         const std::string& gpu_table, const std::string& perf_model, int folds, const std::string& gpu,
         const std::string& instance, const std::string& engine, const std::string& model,
         const std::string& precision, int tp, int64_t input_len, int64_t output_len) {
        infersave::CalibrateRequest r;
        FillMeasurements(r, data_dir, gpu_table, perf_model, folds,
                         {gpu, instance, engine, model, precision, tp, input_len, output_len});
        r.measurements = std::move(measurements);
        r.catalog = catalog;
        std::ostringstream out;
        const auto outcome = Released<infersave::CalibrateOutcome>(
            [&] { return infersave::RunCalibrateRequest(r, infersave::LocalFiles(), out); });
        py::dict result;
        result["report"] = Loads(out.str());
        result["calibration"] = outcome.fitted ? Loads(outcome.calibration_json) : py::none();
        return result;
      },
      py::arg("measurements"), py::arg("data_dir") = "../shared/validation-data", py::arg("catalog") = "",
      py::arg("gpu_table") = "", py::arg("perf_model") = "roofline", py::arg("folds") = 5, py::kw_only(),
      py::arg("gpu") = "", py::arg("instance") = "", py::arg("engine") = "", py::arg("model") = "",
      py::arg("precision") = "", py::arg("tp") = 0, py::arg("input_len") = 0, py::arg("output_len") = 0,
      "Fit the CTCF from public datasets, measurement CSVs or benchmark tools' result files (vllm bench, SGLang, "
      "genai-perf/AIPerf, trtllm-bench, llmperf, llama-bench; gpu=/instance=/engine=/model=/precision=/tp=/"
      "input_len=/output_len= supply what such a file lacks): {'report': ..., 'calibration': ... or None}. Pass "
      "the calibration to plan() by writing it to a .json file and giving calibration='path.json'.");
  m.def(
      "validate",
      [](const std::string& dataset, const std::string& data_dir, const std::string& gpu_table,
         const std::string& perf_model, int folds, const std::string& engine, bool serving,
         const std::string& calibration, const std::string& gpu, const std::string& instance,
         const std::string& model, const std::string& precision, int tp, int64_t input_len, int64_t output_len) {
        infersave::ValidateRequest r;
        FillMeasurements(r, data_dir, gpu_table, perf_model, folds,
                         {gpu, instance, engine, model, precision, tp, input_len, output_len});
        r.dataset = dataset;
        r.engine = engine;
        r.serving = serving;
        r.calibration = calibration;
        std::ostringstream out;
        Released<infersave::ValidateOutcome>(
            [&] { return infersave::RunValidateRequest(r, infersave::LocalFiles(), out); });
        return Loads(out.str());
      },
      py::arg("dataset"), py::arg("data_dir") = "../shared/validation-data", py::arg("gpu_table") = "",
      py::arg("perf_model") = "roofline", py::arg("folds") = 5, py::kw_only(), py::arg("engine") = "vllm",
      py::arg("serving") = false, py::arg("calibration") = "public", py::arg("gpu") = "", py::arg("instance") = "",
      py::arg("model") = "", py::arg("precision") = "", py::arg("tp") = 0, py::arg("input_len") = 0,
      py::arg("output_len") = 0,
      "Error of the model against a public dataset (argonne, mlperf, tgi-sagemaker, ...), a measurements CSV or a "
      "benchmark tool's result file, uncalibrated and cross-validated: the report as a dict (the JSON of "
      "`infersave validate -f json`). serving=True scores through the continuous-batching simulator.");
}
