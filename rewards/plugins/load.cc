// LoadPlugins: config rewards.plugins → registry entries.
#include "rewards/plugins/plugins.h"

namespace rl::rewards {

Status LoadPlugins(const std::vector<config::PluginSection>& plugins, VerifierRegistry& registry) {
  for (size_t i = 0; i < plugins.size(); ++i) {
    const auto& p = plugins[i];
    std::string where = "rewards.plugins[" + std::to_string(i) + "] (" + p.name + "): ";
    StatusOr<std::shared_ptr<Verifier>> v =
        absl::InvalidArgumentError("unknown plugin type '" + p.type + "'");
    if (p.type == "shared_library") {
      v = LoadSharedLibraryVerifier(p.path, p.name);
    } else if (p.type == "process") {
      ProcessOptions o;
      o.argv = p.command;
      o.name = p.name;
      v = MakeProcessVerifier(o);
    } else if (p.type == "grpc") {
      v = MakeGrpcVerifier(p.address, p.name);
    }
    if (!v.ok()) return absl::Status(v.status().code(), where + std::string(v.status().message()));
    registry.RegisterOrReplace(*v);
  }
  return absl::OkStatus();
}

}  // namespace rl::rewards
