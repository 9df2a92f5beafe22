// Private to the config doctor: building verdicts.
#pragma once

#include <string>
#include <utility>

#include "planfix_flow/app/config_doctor.h"

namespace planfix_flow::app::doctor {

inline DoctorCheck Ok(std::string key, std::string value, std::string message) {
  return {Verdict::kOk, std::move(key), std::move(value), std::move(message)};
}
inline DoctorCheck Problem(std::string key, std::string value, std::string message) {
  return {Verdict::kProblem, std::move(key), std::move(value), std::move(message)};
}
inline DoctorCheck Note(std::string key, std::string value, std::string message) {
  return {Verdict::kNote, std::move(key), std::move(value), std::move(message)};
}

// A string value as the TOML file shows it.
inline std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

}  // namespace planfix_flow::app::doctor
