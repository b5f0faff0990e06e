// A migration's checksum: the SHA-256 of its up file's bytes. Kept as its 32
// bytes (as 64 hex digits in a string it cost 80 bytes of heap per migration,
// 8 MiB at 100,000), shown, stored and compared as lower-case hex.
#ifndef LOCKSTEP_GRAPH_CHECKSUM_H_
#define LOCKSTEP_GRAPH_CHECKSUM_H_

#include <array>
#include <string>
#include <string_view>

namespace lockstep {

class Checksum {
 public:
  static constexpr size_t kSize = 32;

  Checksum() = default;  // all zero bytes
  explicit Checksum(const std::array<unsigned char, kSize>& bytes) : bytes_(bytes) {}

  // 64 lower-case hex digits, as the history table stores them.
  std::string hex() const {
    std::string out(2 * kSize, '0');
    for (size_t i = 0; i < out.size(); ++i) out[i] = Digit(i);
    return out;
  }

  // Whether `hex` (a history row's) is this checksum, without building the
  // text of it.
  bool Is(std::string_view hex) const {
    if (hex.size() != 2 * kSize) return false;
    for (size_t i = 0; i < hex.size(); ++i) {
      if (hex[i] != Digit(i)) return false;
    }
    return true;
  }

  bool operator==(const Checksum& other) const = default;

 private:
  // Hex digit `i` (0 to 63) of the text: the high half of a byte first.
  char Digit(size_t i) const {
    unsigned char byte = bytes_[i / 2];
    return "0123456789abcdef"[i % 2 == 0 ? byte >> 4 : byte & 0xf];
  }

  std::array<unsigned char, kSize> bytes_{};
};

}  // namespace lockstep

#endif  // LOCKSTEP_GRAPH_CHECKSUM_H_
