// FlowReader: read access to flow state for the workflow, which decides from it.
// Implementations are thread-safe; a read never blocks event intake.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/storage/records.h"

namespace planfix_flow::storage {

class FlowReader {
 public:
  virtual ~FlowReader() = default;
  virtual std::optional<Flow> GetFlow(const std::string& key) const = 0;
  // Flows of one Planfix task, newest first.
  virtual std::vector<Flow> FlowsForTask(std::int64_t task, std::size_t limit) const = 0;
  // Flows of one kind in one state, newest first (e.g. open invoices).
  virtual std::vector<Flow> ListFlows(const std::string& kind, const std::string& state,
                                      std::size_t limit) const = 0;
};

}  // namespace planfix_flow::storage
