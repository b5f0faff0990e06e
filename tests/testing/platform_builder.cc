#include "testing/platform_builder.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "manifests/loader.h"

namespace lockstep {

namespace fs = std::filesystem;

TempPlatform::TempPlatform() {
  std::string pattern = (fs::temp_directory_path() / "lockstep-test-XXXXXX").string();
  char* dir = mkdtemp(pattern.data());
  root_ = dir ? dir : "";
}

TempPlatform::~TempPlatform() {
  std::error_code ec;
  if (!root_.empty()) fs::remove_all(root_, ec);
}

void TempPlatform::Write(const std::string& relative, const std::string& text) {
  fs::path path = fs::path(root_) / relative;
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void TempPlatform::WritePlatformFile(const std::string& dbs) {
  std::string text = "version: 1\nservices:\n  - services/*/service.yaml\ndatabases:\n";
  size_t start = 0;
  while (start <= dbs.size()) {
    size_t comma = dbs.find(',', start);
    if (comma == std::string::npos) comma = dbs.size();
    std::string name = dbs.substr(start, comma - start);
    text += "  " + name + ": { url: \"postgresql:///" + name + "\" }\n";
    start = comma + 1;
  }
  Write("lockstep.yaml", text);
}

void TempPlatform::WriteService(const std::string& name, const std::string& db) {
  Write("services/" + name + "/service.yaml",
        "service: " + name + "\ndatabase: " + db + "\nmigrations: migrations\n");
  fs::create_directories(fs::path(root_) / "services" / name / "migrations");
}

void TempPlatform::WriteMigration(const std::string& service, const std::string& file,
                                  const std::string& sql) {
  Write("services/" + service + "/migrations/" + file, sql);
}

Platform TempPlatform::Load(Diagnostics* diag,
                            const std::map<std::string, std::string>& env) const {
  Environment lookup = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return LoadPlatform(config(), lookup, diag);
}

std::string Describe(const Diagnostics& diag, const std::string& root) {
  std::string out;
  for (const Diagnostic& d : diag.all()) {
    std::string line = d.ToString();
    for (size_t pos; (pos = line.find(root)) != std::string::npos;) {
      line.replace(pos, root.size(), "ROOT");
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace lockstep
