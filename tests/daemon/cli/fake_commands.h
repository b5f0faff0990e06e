// The commands on the fake database and a fake clock: a platform in a
// temporary folder, the options that point a command at the fakes, and what
// the command printed.
#ifndef LOCKSTEP_TESTS_DAEMON_CLI_FAKE_COMMANDS_H_
#define LOCKSTEP_TESTS_DAEMON_CLI_FAKE_COMMANDS_H_

#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "daemon/log.h"
#include "daemon/options.h"
#include "testing/fake_clock.h"
#include "testing/fake_database.h"
#include "testing/platform_builder.h"

namespace lockstep {

class FakeCommandsTest : public ::testing::Test {
 protected:
  CommonOptions Options() {
    CommonOptions o;
    o.config_path = p_.config();
    o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    o.databases = [this](const Platform&, const std::string&) { return cluster_.Factory(); };
    o.clock = &clock_;
    return o;
  }

  TempPlatform p_;
  FakeCluster cluster_;
  FakeClock clock_;
  std::ostringstream out_, err_;
  Log log_{LogFormat::kText, err_};
};

}  // namespace lockstep

#endif  // LOCKSTEP_TESTS_DAEMON_CLI_FAKE_COMMANDS_H_
