// Shared helpers of the benchmark programs: result rows, percentiles, resident memory, and
// keeping the service's log lines (stdout) apart from the figures.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace planfix_flow::bench {

// The service logs to stdout; a benchmark prints its figures to the stdout it was started
// with and sends everything else written to stdout to `log_path`.
class Output {
 public:
  explicit Output(const std::string& log_path) {
    std::fflush(stdout);
    out_fd_ = ::dup(STDOUT_FILENO);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::close(log_fd);
    }
    out_ = ::fdopen(out_fd_, "w");
  }
  ~Output() {
    if (out_ != nullptr) std::fclose(out_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // One row of the table: benchmark | figure | value | target | verdict.
  void Row(const std::string& benchmark, const std::string& figure, const std::string& value,
           const std::string& target = "", const std::string& verdict = "") {
    std::fprintf(out_, "%s|%s|%s|%s|%s\n", benchmark.c_str(), figure.c_str(), value.c_str(),
                 target.c_str(), verdict.c_str());
    std::fflush(out_);
  }
  // A progress note (stderr, not part of the table).
  static void Note(const std::string& text) { std::fprintf(stderr, "  .. %s\n", text.c_str()); }

 private:
  int out_fd_ = -1;
  std::FILE* out_ = nullptr;
};

inline std::string Verdict(bool met) { return met ? "met" : "NOT MET"; }

// The q-quantile (0..1) of `values` (sorted in place), 0 when empty.
inline double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// A "Vm...:" figure of /proc/<pid>/status ("self": this process) in MiB; 0 if unknown.
inline double StatusMiB(const std::string& field, const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream fields(line.substr(field.size() + 1));
      double kib = 0;
      fields >> kib;
      return kib / 1024.0;
    }
  }
  return 0.0;
}

// Resident memory now (VmRSS) and its peak so far (VmHWM), in MiB.
inline double ResidentMiB(const std::string& pid = "self") { return StatusMiB("VmRSS", pid); }
inline double PeakResidentMiB(const std::string& pid = "self") { return StatusMiB("VmHWM", pid); }

inline std::string Fixed(double value, int decimals = 1) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

inline double Seconds(std::chrono::steady_clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace planfix_flow::bench
