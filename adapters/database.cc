#include "adapters/database.h"

namespace lockstep {

std::string LockHolder::ToString() const {
  if (pid == 0) return "another session (it let go before it could be named)";
  std::string out = "pid " + std::to_string(pid) + " (" +
                    (application_name.empty() ? "no application_name" : application_name);
  if (!client_address.empty()) out += ", from " + client_address;
  if (!since.empty()) out += ", since " + since;
  return out + ")";
}

}  // namespace lockstep
