// infersave: picks the cheapest cloud GPU instance that meets an LLM
// inference objective. Flag parsing only; the work is in the library.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "common.h"

int main(int argc, char** argv) {
  using namespace infersave::cli;
  CLI::App app{"InferSave: the cheapest cloud GPU instance (and KV cache offload ratio) that meets an LLM "
               "inference objective"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "infersave 0.1.0");

  JobFlags plan_flags;
  int top = 3;
  CLI::App* plan = app.add_subcommand("plan", "recommend the cheapest instance that meets the objective");
  AddJobFlags(*plan, plan_flags);
  plan->add_option("--top", top, "qualifying instances to list")->capture_default_str();

  JobFlags predict_flags;
  std::string instance;
  CLI::App* predict = app.add_subcommand("predict", "memory, offload, time and cost on one instance");
  AddJobFlags(*predict, predict_flags);
  predict->add_option("--instance", instance, "instance type, e.g. g5.xlarge")->required();

  std::string models_format = "table";
  CLI::App* models = app.add_subcommand("models", "list the shipped models");
  models->add_option("-f,--format", models_format, "table, json or csv")->capture_default_str();

  std::string catalog = "aws", gpu_table, instances_format = "table";
  CLI::App* instances = app.add_subcommand("instances", "list the instances of a catalog");
  instances->add_option("-c,--catalog", catalog, "shipped catalog (aws, paper) or path to a CSV")
      ->capture_default_str();
  instances->add_option("--gpu-table", gpu_table, "path to a GPU table CSV replacing the shipped one");
  instances->add_option("-f,--format", instances_format, "table, json or csv")->capture_default_str();

  std::string engines_format = "table";
  CLI::App* engines = app.add_subcommand("engines", "list the shipped engine profiles");

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
    if (*plan) return RunPlan(plan_flags, top);
    if (*predict) return RunPredict(predict_flags, instance);
    if (*models) return RunModels(models_format);
    if (*instances) return RunInstances(catalog, gpu_table, instances_format);
    if (*engines) return RunEngines(engines_format);
  } catch (const std::exception& e) {
    std::cerr << "infersave: internal error: " << e.what() << '\n';
    return 70;
  }
  return kExitUsage;
}
