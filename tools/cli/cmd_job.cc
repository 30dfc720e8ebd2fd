// `plan`, `predict` and `simulate`: the flags fill a JobRequest, the library
// runs it; this file only prints, draws progress and picks the exit code.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "common.h"

namespace infersave::cli {

namespace {

// A progress bar on standard error, drawn only on a terminal and only once
// the work has taken a second.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\r%*s\r", 60, "");
  }
  void Update(size_t done, size_t total) {
    if (!tty_ || total == 0) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed < 1.0) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu instances, %.0f s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), done, total, elapsed);
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

int RunJob(Command command, const JobRequest& request) {
  // The document is written only when the whole request succeeded.
  std::ostringstream out;
  Result<Outcome> outcome = Outcome{};
  switch (command) {
    case Command::kPlan: {
      ProgressBar bar;
      RunHooks hooks;
      hooks.progress = [&bar](size_t done, size_t total) { bar.Update(done, total); };
      outcome = RunPlanRequest(request, LocalFiles(), Today(), out, hooks);
      break;
    }
    case Command::kPredict: outcome = RunPredictRequest(request, LocalFiles(), Today(), out); break;
    case Command::kSimulate: outcome = RunSimulateRequest(request, LocalFiles(), Today(), out); break;
  }
  if (!outcome.ok()) return ReportError(outcome.error());
  std::cout << out.str();
  std::cout.flush();
  if (!outcome->note.empty()) std::cerr << "infersave: error: " << RenderFieldRefs(outcome->note, FlagFor) << '\n';
  return outcome->found ? kExitOk : kExitNoneQualifies;
}

}  // namespace infersave::cli
