// ANSI colours for states on a terminal; only with --color (a terminal and
// no NO_COLOR, or --color always).
#ifndef LOCKSTEP_DAEMON_CLI_PAINT_H_
#define LOCKSTEP_DAEMON_CLI_PAINT_H_

#include <string>

namespace lockstep {

constexpr const char* kGreen = "32";
constexpr const char* kYellow = "33";
constexpr const char* kRed = "31";
constexpr const char* kCyan = "36";

inline std::string Paint(const std::string& text, const char* color, bool on) {
  return on ? "\033[" + std::string(color) + "m" + text + "\033[0m" : text;
}

}  // namespace lockstep

#endif  // LOCKSTEP_DAEMON_CLI_PAINT_H_
