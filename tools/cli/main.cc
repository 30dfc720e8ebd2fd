// infersave: picks the cheapest cloud GPU instance that meets an LLM
// inference objective. Flag parsing only; the work is in the library.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <tuple>
#include <iostream>

#include "common.h"
#include "server.h"

namespace {

using namespace infersave::cli;
using infersave::JobRequest;

// The request fields of the options given on the command line: their long
// names with underscores.
std::vector<std::string> GivenFields(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() == 0) continue;
    for (std::string name : opt->get_lnames()) {
      std::replace(name.begin(), name.end(), '-', '_');
      out.push_back(name);
    }
  }
  return out;
}

// The subcommands: each declares its flags, and the work to run when it is
// the one given.
using Runs = std::vector<std::pair<CLI::App*, std::function<int()>>>;

void AddJobCommands(CLI::App& app, Runs& runs) {
  auto plan_request = std::make_shared<JobRequest>();
  CLI::App* plan = app.add_subcommand("plan", "recommend the cheapest instance that meets the objective");
  AddJobFlags(*plan, *plan_request);
  plan->add_option("--top", plan_request->top, "qualifying instances to list")->capture_default_str();
  plan->add_option("--emit", plan_request->emit,
                   "print deployment text for the recommendation instead of the report: skypilot (task YAML), "
                   "vllm (vllm serve command) or flexgen (flex_opt command)");
  plan->add_flag("--frontier", plan_request->frontier,
                 "list the Pareto frontier: cost against job time (batch) or TTFT and TPOT (online)");
  AddServeFlags(*plan, *plan_request);

  auto predict_request = std::make_shared<JobRequest>();
  CLI::App* predict = app.add_subcommand("predict", "memory, offload, time and cost on one instance");
  AddJobFlags(*predict, *predict_request);
  predict->add_option("--instance", predict_request->instance, "instance type, e.g. g5.xlarge")->required();

  auto simulate_request = std::make_shared<JobRequest>();
  CLI::App* simulate = app.add_subcommand(
      "simulate", "continuous-batching simulation of one instance: TTFT, TPOT and end-to-end latency percentiles");
  AddJobFlags(*simulate, *simulate_request);
  AddServeFlags(*simulate, *simulate_request);
  simulate->add_option("--instance", simulate_request->instance, "instance type, e.g. g5.xlarge")->required();
  simulate->add_option("--tp", simulate_request->tp, "GPUs per model copy (default: the smallest split that fits)");
  simulate->add_option("--users", simulate_request->users,
                       "closed loop: this many users, each sending its next request when the last one is answered");
  simulate->add_option("--think-s", simulate_request->think_s, "closed loop: pause between a user's requests, seconds")
      ->capture_default_str();

  for (auto [command, sub, request] : {std::tuple{Command::kPlan, plan, plan_request},
                                       std::tuple{Command::kPredict, predict, predict_request},
                                       std::tuple{Command::kSimulate, simulate, simulate_request}}) {
    runs.emplace_back(sub, [command = command, sub = sub, request = request] {
      request->given = GivenFields(*sub);
      return RunJob(command, *request);
    });
  }
}

void AddListCommands(CLI::App& app, Runs& runs) {
  auto models_format = std::make_shared<std::string>("table");
  CLI::App* models = app.add_subcommand("models", "list the shipped models");
  models->add_option("-f,--format", *models_format, "table, json or csv")->capture_default_str();
  runs.emplace_back(models, [models_format] { return RunModels(*models_format); });

  struct InstancesFlags {
    std::string catalog = "aws", gpu_table, format = "table";
  };
  auto f = std::make_shared<InstancesFlags>();
  CLI::App* instances = app.add_subcommand("instances", "list the instances of a catalog");
  instances->add_option("-c,--catalog", f->catalog, "shipped catalog (aws, gcp, azure, paper) or path to a CSV")
      ->capture_default_str();
  instances->add_option("--gpu-table", f->gpu_table, "path to a GPU table CSV replacing the shipped one");
  instances->add_option("-f,--format", f->format, "table, json or csv")->capture_default_str();
  runs.emplace_back(instances, [f] { return RunInstances(f->catalog, f->gpu_table, f->format); });

  auto engines_format = std::make_shared<std::string>("table");
  CLI::App* engines = app.add_subcommand("engines", "list the shipped engine profiles");
  engines->add_option("-f,--format", *engines_format, "table, json or csv")->capture_default_str();
  runs.emplace_back(engines, [engines_format] { return RunEngines(*engines_format); });
}

// What benchmark result files lack (docs/calibration.md, "Benchmark files").
// `validate` has its own --engine (also the vidur datasets' efficiencies).
void AddRunFlags(CLI::App* app, infersave::CalibrateRequest::RunFields& run, bool engine = true) {
  app->add_option("--gpu", run.gpu, "benchmark files: the GPU the runs used")->group("Benchmark files");
  app->add_option("--instance", run.instance, "benchmark files: the instance the runs used (in --catalog, else aws, gcp, azure)")->group("Benchmark files");
  if (engine) app->add_option("--engine", run.engine, "benchmark files: the engine profile that served them")->group("Benchmark files");
  app->add_option("--model", run.model, "benchmark files: the model (shipped name or config.json)")->group("Benchmark files");
  app->add_option("--precision", run.precision, "benchmark files: weight and KV precision (fp16, fp8, ...)")->group("Benchmark files");
  app->add_option("--tp", run.tp, "benchmark files: tensor-parallel degree")->group("Benchmark files");
  app->add_option("--input-len", run.input_len, "benchmark files: prompt tokens per request (vllm bench throughput records none)")->group("Benchmark files");
  app->add_option("--output-len", run.output_len, "benchmark files: output tokens per request")->group("Benchmark files");
}

void AddCalibrationCommands(CLI::App& app, Runs& runs) {
  auto calibrate_flags_ptr = std::make_shared<CalibrateFlags>();
  CalibrateFlags& calibrate_flags = *calibrate_flags_ptr;
  CLI::App* calibrate = app.add_subcommand("calibrate", "fit the CTCF (alpha, beta per GPU, engine and phase) from measurements");
  calibrate->add_option("--measurements", calibrate_flags.measurements,
                        "measurements CSV (docs/calibration.md) or public dataset name (see `validate`); repeatable")
      ->required();
  calibrate->add_option("-o,--output", calibrate_flags.output, "write the calibration JSON that `plan --calibration` reads");
  calibrate->add_option("--dump", calibrate_flags.dump, "write measured and predicted values per run (CSV)");
  calibrate->add_option("--perf-model", calibrate_flags.perf_model, "roofline or paper")->capture_default_str();
  calibrate->add_option("--folds", calibrate_flags.folds, "k of k-fold cross-validation")->capture_default_str();
  calibrate->add_option("--catalog", calibrate_flags.catalog, "catalog resolving an 'instance' column");
  calibrate->add_option("--gpu-table", calibrate_flags.gpu_table, "GPU table CSV replacing the shipped one");
  calibrate->add_option("--data-dir", calibrate_flags.data_dir, "folder of the public datasets")->capture_default_str();
  calibrate->add_option("-f,--format", calibrate_flags.format, "table, json or csv")->capture_default_str();
  // What benchmark result files lack (docs/calibration.md, "Benchmark files").
  AddRunFlags(calibrate, calibrate_flags.run);

  auto validate_flags_ptr = std::make_shared<CalibrateFlags>();
  CalibrateFlags& validate_flags = *validate_flags_ptr;
  CLI::App* validate = app.add_subcommand("validate", "error of the model against measured runs, uncalibrated and cross-validated");
  validate->add_option("--dataset", validate_flags.dataset,
                       "argonne, argonne-ttft, tgi-sagemaker, llamacpp, flexgen-t4, mlperf, vidur-gemm, vidur-allreduce, "
                       "or a measurements CSV")
      ->required();
  validate->add_option("--data-dir", validate_flags.data_dir, "folder of the public datasets")->capture_default_str();
  validate_flags.engine = "";
  validate->add_option("-e,--engine", validate_flags.engine,
                       "engine whose efficiencies vidur-gemm and vidur-allreduce use (default vllm); for a benchmark "
                       "file, the engine that served it");
  validate->add_flag("--serving", validate_flags.serving,
                     "validate the continuous-batching simulator instead of the static-batch model (tgi-sagemaker: "
                     "closed-loop users; argonne-ttft: a burst of 16 requests)");
  validate->add_option("--dump", validate_flags.dump, "write measured and predicted values per run (CSV)");
  validate->add_option("--perf-model", validate_flags.perf_model, "roofline or paper")->capture_default_str();
  validate->add_option("--folds", validate_flags.folds, "k of k-fold cross-validation")->capture_default_str();
  validate->add_option("--gpu-table", validate_flags.gpu_table, "GPU table CSV replacing the shipped one");
  validate->add_option("--calibration", validate_flags.calibration,
                       "calibration scored beside the uncalibrated model with --dataset mlperf and --serving (shipped "
                       "name or .json path)")
      ->capture_default_str();
  validate->add_option("-f,--format", validate_flags.format, "table, json or csv")->capture_default_str();

  AddRunFlags(validate, validate_flags.run, false);
  runs.emplace_back(calibrate, [calibrate_flags_ptr] { return RunCalibrate(*calibrate_flags_ptr); });
  runs.emplace_back(validate, [validate_flags_ptr] { return RunValidate(*validate_flags_ptr); });
}

void AddServerCommand(CLI::App& app, Runs& runs) {
  struct ServerFlags {
    infersave::server::ServerOptions options;
    double run_limit_s = 30;
  };
  auto f = std::make_shared<ServerFlags>();
  infersave::server::ServerOptions& server_options = f->options;
  double& run_limit_s = f->run_limit_s;
  CLI::App* serve = app.add_subcommand("server", "serve the HTTP API (/openapi.json) and the web page");
  serve->add_option("--host", server_options.host, "address to listen on (default: loopback only)")
      ->capture_default_str();
  serve->add_option("--port", server_options.port, "TCP port (0 = any free port)")->capture_default_str();
  serve->add_option("--threads", server_options.threads, "connection threads (0 = 4 per core, at least 32)")
      ->capture_default_str();
  serve->add_option("--max-running", server_options.max_running, "plans running at once (0 = one per core)")
      ->capture_default_str();
  serve->add_option("--run-limit-s", run_limit_s, "seconds a plan may run before it is answered 504")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  serve->add_option("--today", server_options.today, "date every request's catalog age counts to, YYYY-MM-DD");

  runs.emplace_back(serve, [f] {
    f->options.run_limit = std::chrono::milliseconds(static_cast<int64_t>(f->run_limit_s * 1000));
    return RunServer(f->options);
  });
}

}  // namespace

int main(int argc, char** argv) {
  using namespace infersave::cli;
  CLI::App app{"InferSave: the cheapest cloud GPU instance (and KV cache offload ratio) that meets an LLM "
               "inference objective"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("infersave ") + infersave::LibraryVersion());
  Runs runs;
  AddJobCommands(app, runs);
  AddListCommands(app, runs);
  AddCalibrationCommands(app, runs);
  AddServerCommand(app, runs);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "infersave: error: " << e.what() << "\n(run 'infersave --help' or 'infersave <command> --help')\n";
    return kExitUsage;
  }

  try {
    for (const auto& [sub, run] : runs) {
      if (*sub) return run();
    }
  } catch (const std::exception& e) {
    std::cerr << "infersave: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
  return kExitUsage;
}
