#include "graph/version.h"

#include <vector>

namespace lockstep {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSeparator(char c) { return c == '_' || c == '.'; }

size_t DigitRun(std::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size() && IsDigit(text[end])) ++end;
  return end - pos;
}

std::string_view StripZeros(std::string_view part) {
  size_t i = 0;
  while (i + 1 < part.size() && part[i] == '0') ++i;
  return part.substr(i);
}

// Compares two canonical numeric parts (no leading zeros) as numbers.
std::strong_ordering ComparePart(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  int c = a.compare(b);
  return c < 0 ? std::strong_ordering::less
               : c > 0 ? std::strong_ordering::greater
                       : std::strong_ordering::equal;
}

std::vector<std::string_view> SplitKey(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= key.size(); ++i) {
    if (i == key.size() || key[i] == '.') {
      parts.push_back(key.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

std::optional<Version> Version::ParsePrefix(std::string_view text,
                                            size_t* consumed, bool need_name) {
  size_t run = DigitRun(text, 0);
  if (run == 0) return std::nullopt;
  std::vector<std::string_view> parts{text.substr(0, run)};
  size_t pos = run;
  // Another numeric part is taken when it ends the text (and no name must
  // follow) or when a separator and more text follow it.
  while (pos < text.size() && IsSeparator(text[pos])) {
    size_t next = DigitRun(text, pos + 1);
    if (next == 0) break;
    size_t end = pos + 1 + next;
    bool more = end + 1 < text.size() && IsSeparator(text[end]);
    if (end == text.size() ? need_name : !more) break;
    parts.push_back(text.substr(pos + 1, next));
    pos = end;
  }
  Version v;
  v.text_ = std::string(text.substr(0, pos));
  while (parts.size() > 1 && StripZeros(parts.back()) == "0") parts.pop_back();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) v.key_ += '.';
    v.key_ += StripZeros(parts[i]);
  }
  *consumed = pos;
  return v;
}

std::optional<Version> Version::Parse(std::string_view text) {
  size_t consumed = 0;
  auto v = ParsePrefix(text, &consumed, /*need_name=*/false);
  if (!v || consumed != text.size()) return std::nullopt;
  return v;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  auto a = SplitKey(key_);
  auto b = SplitKey(other.key_);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    auto c = ComparePart(a[i], b[i]);
    if (c != 0) return c;
  }
  return a.size() <=> b.size();
}

}  // namespace lockstep
