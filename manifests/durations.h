#ifndef LOCKSTEP_MANIFESTS_DURATIONS_H_
#define LOCKSTEP_MANIFESTS_DURATIONS_H_

#include <chrono>
#include <string>
#include <string_view>

namespace lockstep {

// Parses "250ms", "60s", "5m", "1h", "1m30s" or a bare "0". On failure
// returns false and sets *error to a sentence that says what is accepted.
bool ParseDuration(std::string_view text, std::chrono::milliseconds* out, std::string* error);

// "1m30s", "250ms", "0s": the shortest form ParseDuration reads back.
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_DURATIONS_H_
