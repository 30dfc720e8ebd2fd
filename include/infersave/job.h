// The job request (issue 12): the values of one planning job as a user gives
// them, whatever the front end. The CLI maps its flags onto JobRequest, the
// service its JSON body, the Python module its keyword arguments; every
// default is defined here, once, and ResolveJob validates them in one place
// and loads what they name through an injected FileSource.
//
// Field names are the CLI's long options with underscores ("batch_size" for
// --batch-size); errors about a field carry its name (Error::field()), and
// RequestField() maps the library's internal field paths onto them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/file_source.h"
#include "infersave/hardware.h"
#include "infersave/model.h"
#include "infersave/planner.h"
#include "infersave/report.h"
#include "infersave/serving.h"
#include "infersave/serving_report.h"
#include "infersave/serving_workload.h"
#include "infersave/status.h"

namespace infersave {

struct JobRequest {
  // ---- What runs where
  std::string model = "opt-2.7b";  // shipped name, or a config.json path (read through the FileSource)
  std::string model_config;        // inline config.json text; replaces `model` when set
  std::string catalog = "aws";     // shipped name, or a SkyPilot-format CSV path
  std::string catalog_csv;         // inline catalog CSV text; replaces `catalog` when set
  std::string cloud;               // aws, gcp or azure: that cloud's shipped catalog
  std::string region;              // keep only this region's rows ("" = all)
  bool spot = false;               // spot prices only (the same as pricing "spot")
  // The prices allowed: "on-demand" (default), "spot", or both to search
  // ("on-demand,spot"): each instance at whichever is cheaper that qualifies.
  std::string pricing;
  std::string today;               // YYYY-MM-DD the catalog's age counts to ("" = the caller's date)
  std::string gpu_table;           // "" = shipped
  std::string engine = "vllm";     // one, or a comma-separated list to search ("vllm,tensorrt-llm")
  std::string calibration;         // "" = the engine's default, "none" = none
  std::string perf_model = "roofline";
  std::optional<double> gpu_memory_utilization;  // unset = the engine's

  // ---- Formats
  std::string precision = "fp16";  // weights and KV cache, 16/32-bit only
  // One format, or a comma-separated list to search ("fp16,fp8"); the
  // default keeps the checkpoint's format, so quality never changes unasked.
  std::string weights;             // "" = the checkpoint's quantization_config, else `precision`
  std::string kv_cache;            // "" = `precision`

  // ---- A batch job (static batches)
  int64_t batch_size = 32;
  int64_t input_len = 128;
  int64_t output_len = 512;
  int64_t requests = 3000;
  double slo_tps = 400;  // tokens/s; in online plans it applies only when given
  double slo_headroom = 0;
  std::optional<double> max_price;  // USD per instance-hour
  std::string billing = "per-second";
  std::string pace = "slo";
  std::string offload = "auto";  // auto, none, or a ratio 0..1
  // Try batch sizes 1, 2, 4, ... up to the job's requests (at most 4096) on
  // every instance and keep the best that fits, instead of batch_size alone.
  bool search_batch = false;
  // A batch job's deadline ("8h", "30m", "90s", "2d"): the cheapest fleet
  // that finishes in time; replaces slo_tps and sets pace max.
  std::string deadline;
  // Pick only candidates that meet the objective with at least this
  // probability (include/infersave/confidence.h); unset = as predicted.
  std::optional<double> confidence;

  // ---- A service (continuous batching); any of rate, slo_ttft_ms,
  // slo_tpot_ms, workload or trace makes the plan an online one.
  std::optional<double> rate;  // requests/s
  std::optional<double> slo_ttft_ms;
  std::optional<double> slo_tpot_ms;
  double slo_percentile = 99;
  std::string workload;       // workload JSON path
  std::string trace;          // trace CSV path
  std::string prompt_tokens;  // length spec ("" = input_len)
  std::string output_tokens;  // length spec ("" = output_len)
  std::string arrival = "poisson";
  uint64_t seed = 1;
  int64_t sim_requests = 2000;
  int64_t max_tokens = 0;    // the clients' max_tokens (0 = each request's own output)
  int64_t max_num_seqs = 0;  // the engine's batch cap (0 = the profile's)
  bool exhaustive = false;   // simulate every layout (no pruning by cost bounds)
  // Search the engine's scheduler: max_num_seqs 64, 128, 256, 512 and, with
  // chunked prefill, token budgets 2048 and 8192 per iteration.
  bool search_scheduler = false;

  // ---- One instance (predict, simulate)
  std::string instance;
  int tp = 0;          // simulate: GPUs per model copy (0 = the smallest split that fits)
  int64_t users = 0;   // simulate: closed-loop users (0 = open loop at `rate`)
  double think_s = 0;  // simulate: pause between a user's requests

  // ---- The report
  std::string format = "table";
  int top = 3;       // qualifying candidates the table lists
  std::string emit;  // plan: deployment text instead of the report (skypilot, vllm, flexgen)
  bool frontier = false;  // tables list the Pareto frontier

  // Fields the user set (names as above), so that a default can be told from
  // a value given on purpose: the workload file's values give way only to
  // given fields, and batch-only fields are refused in online plans.
  std::vector<std::string> given;

  bool Given(std::string_view field) const;
  // Whether the request asks for online serving.
  bool online() const;
};

// The request field an error's field path stands for ("workload.batch_size"
// -> "batch_size"); request field names map to themselves.
std::string RequestField(std::string_view field_path);

// One combination of the knobs a request lets the planner search (issue 13):
// formats and engine, with the engine's calibration.
struct JobVariant {
  Precision weights = Precision::kFp16;
  Precision kv_cache = Precision::kFp16;
  int64_t batch_size = 0;  // batch plans: 0 = the request's
  bool spot = false;
  EngineProfile engine;
  std::optional<Calibration> calibration;
};

// Everything a plan needs, loaded and validated; owns what PlanContext points to.
struct Job {
  ModelConfig model;
  GpuTable gpus;
  Catalog catalog;
  EngineProfile engine;
  std::optional<Calibration> calibration;
  PlanOptions options;
  OutputFormat format = OutputFormat::kTable;
  int top = 3;
  bool frontier = false;
  std::string today;  // YYYY-MM-DD
  // Two or more when the request lists several weight formats, KV formats
  // or engines ("fp16,fp8"): a plan is made for each and merged (search.h).
  // `engine`, `calibration` and the options' formats are the first's.
  std::vector<JobVariant> variants;

  PlanContext context() const;
  ReportContext report(int top_override = 0) const;
};

// Resolves a request: reads what it names (shipped names; paths through
// `files`), checks every value, applies the defaults. `today` (YYYY-MM-DD)
// is used when the request gives none.
Result<Job> ResolveJob(const JobRequest& request, const FileSource& files, std::string_view today);

// An online job: the requests simulated and the serving options.
struct ServingJob {
  ServingWorkload workload;
  RequestSet set;
  ServingOptions options;
};
Result<ServingJob> ResolveServingJob(const JobRequest& request, const Job& job, const FileSource& files);

// ---- Running a request ---------------------------------------------------------

// What a request produced, beyond the document written.
struct Outcome {
  // plan: something qualifies; predict: the instance can run the job;
  // simulate: always true.
  bool found = true;
  // Why nothing was written (plan with `emit` and no pick); may hold FieldRef()s.
  std::string note;
};

// How a front end follows and bounds a run, on the planning thread.
struct RunHooks {
  // After each candidate of an online plan: (done, total).
  std::function<void(size_t, size_t)> progress;
  // Asked before each simulation; true stops the run with ErrorCode::kCancelled.
  std::function<bool()> cancelled;
};

// `plan`: a batch or an online plan (request.online()), or its deployment
// text (request.emit). Writes the document to `out` in request.format.
Result<Outcome> RunPlanRequest(const JobRequest& request, const FileSource& files, std::string_view today,
                               std::ostream& out, const RunHooks& hooks = {});
// `predict`: one instance's breakdown.
Result<Outcome> RunPredictRequest(const JobRequest& request, const FileSource& files, std::string_view today,
                                  std::ostream& out);
// `simulate`: one instance under one load (open loop at `rate`, or `users`).
Result<Outcome> RunSimulateRequest(const JobRequest& request, const FileSource& files, std::string_view today,
                                   std::ostream& out, const RunHooks& hooks = {});

// `models`, `instances`, `engines`: the shipped models, a catalog's
// instances (a shipped name, or a path through `files`), the shipped engines.
Status WriteModelList(std::ostream& out, std::string_view format);
Status WriteInstanceList(std::string_view catalog, std::string_view gpu_table, const FileSource& files,
                         std::ostream& out, std::string_view format);
Status WriteEngineList(std::ostream& out, std::string_view format);

// ---- Requests as JSON (the service, the Python module) ---------------------------

// A request from a JSON object whose keys are the fields above. `model_config`
// may be an object (a config.json inline); unknown keys and values of the
// wrong type are errors naming the key. Every key present counts as given.
Result<JobRequest> ParseJobRequest(std::string_view json_text);
// The keys ParseJobRequest accepts, sorted.
std::vector<std::string> JobRequestFields();
// A key's JSON Schema type ("string", "integer", "number", "boolean",
// "object"); "" for an unknown key.
std::string JobRequestFieldType(std::string_view name);

}  // namespace infersave
