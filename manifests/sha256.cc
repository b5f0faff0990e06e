#include "manifests/sha256.h"

#include <openssl/evp.h>

namespace lockstep {

Checksum Sha256(std::string_view data) {
  std::array<unsigned char, Checksum::kSize> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return Checksum(digest);
}

}  // namespace lockstep
