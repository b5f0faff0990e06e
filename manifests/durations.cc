#include "manifests/durations.h"

#include <cstdint>

namespace lockstep {

bool ParseDuration(std::string_view text, std::chrono::milliseconds* out, std::string* error) {
  *error = "'" + std::string(text) +
           "' is not a duration; write a number with a unit: 250ms, 60s, 5m, "
           "1h, 1m30s (or 0)";
  if (text == "0") {
    *out = std::chrono::milliseconds(0);
    return true;
  }
  int64_t total = 0;
  size_t i = 0;
  if (text.empty()) return false;
  while (i < text.size()) {
    int64_t number = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i++] - '0');
      if (++digits > 12) return false;
    }
    if (digits == 0) return false;
    size_t unit_start = i;
    while (i < text.size() && (text[i] < '0' || text[i] > '9')) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t scale = unit == "ms"  ? 1
                    : unit == "s" ? 1000
                    : unit == "m" ? 60'000
                    : unit == "h" ? 3'600'000
                                  : 0;
    if (scale == 0) return false;
    total += number * scale;
  }
  *out = std::chrono::milliseconds(total);
  error->clear();
  return true;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  const std::pair<int64_t, const char*> units[] = {
      {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (auto [scale, name] : units) {
    if (ms >= scale) {
      out += std::to_string(ms / scale) + name;
      ms %= scale;
    }
  }
  return out;
}

}  // namespace lockstep
