#include "manifests/environment.h"

#include <cstdlib>

namespace lockstep {
namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

}  // namespace

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool ExpandVariables(std::string_view text, const Environment& env, std::string* out,
                     std::string* error) {
  out->clear();
  std::string unset;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      *out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    std::string_view name =
        close == std::string_view::npos ? "" : text.substr(i + 2, close - i - 2);
    bool valid = !name.empty();
    for (size_t k = 0; k < name.size(); ++k) valid &= IsNameChar(name[k], k == 0);
    if (!valid) {
      // Nothing of the text is shown: it is a connection string, with its password.
      *error = "malformed ${...} variable reference; write ${NAME} with letters, digits and '_'";
      return false;
    }
    auto value = env(std::string(name));
    if (!value) {
      unset += (unset.empty() ? "" : ", ") + std::string(name);
    } else {
      *out += *value;
    }
    i = close + 1;
  }
  if (!unset.empty()) {
    *error = "environment variable " + unset +
             (unset.find(',') == std::string::npos ? " is" : " are") + " not set";
    return false;
  }
  return true;
}

}  // namespace lockstep
