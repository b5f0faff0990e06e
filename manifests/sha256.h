#ifndef LOCKSTEP_MANIFESTS_SHA256_H_
#define LOCKSTEP_MANIFESTS_SHA256_H_

#include <string>
#include <string_view>

#include "graph/checksum.h"

namespace lockstep {

// SHA-256 of `data` (OpenSSL's libcrypto).
Checksum Sha256(std::string_view data);

// The same as lower-case hex.
inline std::string Sha256Hex(std::string_view data) { return Sha256(data).hex(); }

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_SHA256_H_
