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

bool ExpandVariables(std::string_view text, const Environment& env,
                     std::string* out, std::string* error) {
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
      *error = "malformed variable reference in '" + RedactPassword(text) +
               "'; write ${NAME} with letters, digits and '_'";
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
    *error = "environment variable " + unset + (unset.find(',') == std::string::npos ? " is" : " are") +
             " not set";
    return false;
  }
  return true;
}

std::string RedactPassword(std::string_view url) {
  std::string out(url);
  // URI userinfo: scheme://user:password@host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?#", start);
    size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=... as a query parameter or a key/value pair.
  for (size_t pos = out.find("password"); pos != std::string::npos;
       pos = out.find("password", pos + 1)) {
    size_t eq = pos + 8;
    while (eq < out.size() && out[eq] == ' ') ++eq;
    if (eq >= out.size() || out[eq] != '=') continue;
    size_t value = eq + 1;
    while (value < out.size() && out[value] == ' ') ++value;
    size_t end = value;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      end = out.find_first_of(" &", value);
      if (end == std::string::npos) end = out.size();
    }
    out.replace(value, end - value, "***");
  }
  return out;
}

}  // namespace lockstep
