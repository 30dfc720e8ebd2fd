// Presentation of calibration fits and validation results (table, JSON, CSV).
#pragma once

#include <ostream>
#include <string>

#include "infersave/calibrate.h"
#include "infersave/report.h"
#include "infersave/serving_calibrate.h"

namespace infersave {

// `infersave calibrate`: per (GPU, engine) the fitted alpha and beta, and the
// error before, after and cross-validated; then the serving fit, when the
// measurements had serving runs (`serving` may be null).
void WriteCalibrationReport(std::ostream& out, const CalibrationReport& report, std::string_view source,
                            OutputFormat format, const ServingCalibrationReport* serving = nullptr);

// `infersave validate`: per (GPU, engine) the error of the uncalibrated model
// and of the cross-validated calibration; then the serving runs' (simulated,
// and fitted leaving one load out), when there were any.
void WriteValidationReport(std::ostream& out, const CalibrationReport& report, std::string_view dataset,
                           std::string_view description, OutputFormat format,
                           const ServingCalibrationReport* serving = nullptr);

// Per-operator errors (Vidur GEMMs or all-reduces).
void WriteOperatorReport(std::ostream& out, const std::vector<OperatorErrorRow>& rows, std::string_view title,
                         OutputFormat format);

// One line per measurement: measured and predicted values, for plotting.
void WriteRowDump(std::ostream& out, const CalibrationReport& report);

}  // namespace infersave
