#ifndef LOCKSTEP_MANIFESTS_SHA256_H_
#define LOCKSTEP_MANIFESTS_SHA256_H_

#include <string>
#include <string_view>

namespace lockstep {

// Lower-case hex SHA-256 of `data` (OpenSSL's libcrypto).
std::string Sha256Hex(std::string_view data);

}  // namespace lockstep

#endif  // LOCKSTEP_MANIFESTS_SHA256_H_
