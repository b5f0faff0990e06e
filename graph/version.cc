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
  return c < 0   ? std::strong_ordering::less
         : c > 0 ? std::strong_ordering::greater
                 : std::strong_ordering::equal;
}

// The next '.'-separated part of `key` from *pos, advancing *pos past it.
std::string_view NextPart(std::string_view key, size_t* pos) {
  size_t end = key.find('.', *pos);
  if (end == std::string_view::npos) end = key.size();
  std::string_view part = key.substr(*pos, end - *pos);
  *pos = end + 1;
  return part;
}

}  // namespace

std::optional<Version> Version::ParsePrefix(std::string_view text, size_t* consumed,
                                            bool need_name) {
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
  // Called O(n log n) times while sorting: walks the keys without allocating.
  std::string_view a = key_, b = other.key_;
  size_t i = 0, j = 0;
  while (i <= a.size() && j <= b.size()) {
    auto c = ComparePart(NextPart(a, &i), NextPart(b, &j));
    if (c != 0) return c;
  }
  if (i <= a.size()) return std::strong_ordering::greater;  // a has more parts
  if (j <= b.size()) return std::strong_ordering::less;
  return std::strong_ordering::equal;
}

}  // namespace lockstep
