// Migration versions: leading digits, optionally several numeric parts joined
// by '_' or '.' ("001", "20250824_001", "1.2"), compared numerically part by
// part. Leading zeros and trailing zero parts do not count: "01" == "001",
// "1" == "1.0".
#ifndef LOCKSTEP_GRAPH_VERSION_H_
#define LOCKSTEP_GRAPH_VERSION_H_

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep {

class Version {
 public:
  Version() = default;

  // Parses the version at the start of `text` ("20250824_001_init" gives
  // "20250824_001"), taking every numeric part it can; with `need_name` the
  // last part is left when nothing but it would remain. Returns nullopt when
  // `text` does not start with a digit; sets *consumed to the length taken.
  static std::optional<Version> ParsePrefix(std::string_view text, size_t* consumed,
                                            bool need_name);

  // Parses a whole string as a version ("001", "1.2"); nullopt if it is not one.
  static std::optional<Version> Parse(std::string_view text);

  // As written in the file name: "001".
  const std::string& text() const { return text_; }
  // Canonical form used as a key: parts without leading zeros, trailing zero
  // parts dropped, joined by '.': "1", "20250824.1".
  const std::string& key() const { return key_; }

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return key_ == other.key_; }

 private:
  std::string text_;
  std::string key_;
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_VERSION_H_
