// A log sink for tests: while alive, every record of chatkit::log is copied here (level, component, message,
// fields rendered as text), and the threshold is set to `lowest`. The previous sink and level come back on
// destruction. Records are process-wide: look for the ones your test produced (find / count_if).
#pragma once

#include <chatkit/log.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace chatkit::testing {

struct captured_record {
  log::level severity;
  std::string component;
  std::string message;
  std::map<std::string, std::string> fields;  // strings as they are; numbers and booleans as text

  std::string field(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
};

class log_capture {
 public:
  explicit log_capture(log::level lowest = log::level::trace) : previous_level_(log::get_level()) {
    previous_sink_ = log::set_sink([this](const log::record& r) {
      captured_record c{r.severity, std::string(r.component), std::string(r.message), {}};
      for (const auto& f : r.fields) {
        std::string v = std::visit(
            [](const auto& x) -> std::string {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, std::string_view>)
                return std::string(x);
              else if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
              else
                return std::to_string(x);
            },
            f.value);
        c.fields.emplace(std::string(f.key), std::move(v));
      }
      std::lock_guard lock(mu_);
      records_.push_back(std::move(c));
    });
    log::set_level(lowest);
  }
  ~log_capture() {
    log::set_sink(std::move(previous_sink_));
    log::set_level(previous_level_);
  }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  std::vector<captured_record> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  // The first record with this component and message, if any.
  std::optional<captured_record> find(std::string_view component, std::string_view message) const {
    std::lock_guard lock(mu_);
    for (const auto& r : records_)
      if (r.component == component && r.message == message) return r;
    return std::nullopt;
  }
  std::size_t count(std::string_view component, std::string_view message) const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(records_.begin(), records_.end(), [&](const auto& r) {
      return r.component == component && r.message == message;
    }));
  }

 private:
  mutable std::mutex mu_;
  std::vector<captured_record> records_;
  log::sink previous_sink_;
  log::level previous_level_;
};

}  // namespace chatkit::testing
