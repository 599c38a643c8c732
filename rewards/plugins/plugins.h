// The three plugin forms, each returning an ordinary Verifier that the caller registers
// with VerifierRegistry::Register — the same call the built-ins use.
//  * shared library: dlopen + the versioned C table of plugin_abi.h. The Verifier owns the
//    library handle and the plugin instance; calls are serialised unless the plugin
//    declares RL_PLUGIN_THREAD_SAFE.
//  * process: a child speaking JSON lines (one request line in, one response line out, see
//    docs/rewards.md). Children are started lazily, kept alive across calls, restarted after
//    a crash (the failed call returns Unavailable; a child found dead before a call is
//    restarted and the call retried once) and killed (SIGKILL) when a call passes its
//    deadline. `instances` children serve calls in parallel. SIGPIPE is ignored process-wide
//    once a process plugin is created (gRPC does the same).
//  * grpc: a client of proto/verifier.proto's VerifierService with a deadline on every call.
// LoadPlugins reads config rewards.plugins and registers each (a name may replace a
// built-in). All Verifiers here are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rewards/verifier.h"
#include "rl/config/run_config.h"

namespace rl::rewards {

StatusOr<std::shared_ptr<Verifier>> LoadSharedLibraryVerifier(
    const std::string& path, const std::string& name = "", const std::string& options_json = "{}");

struct ProcessOptions {
  std::vector<std::string> argv;
  std::string name;
  int instances = 1;
  size_t max_line_bytes = 1 << 20;
};
StatusOr<std::shared_ptr<Verifier>> MakeProcessVerifier(ProcessOptions options);

// `remote_verifier`: the verifier name asked of the server (default: the task kind's mapping
// on the server side is not used; empty = use `name`).
StatusOr<std::shared_ptr<Verifier>> MakeGrpcVerifier(const std::string& address,
                                                     const std::string& name,
                                                     const std::string& remote_verifier = "",
                                                     double default_timeout_s = 10.0);

// Loads every plugin of the config into the registry (replacing same-named entries).
// Errors name the plugin entry: "rewards.plugins[1] (name): …".
Status LoadPlugins(const std::vector<config::PluginSection>& plugins, VerifierRegistry& registry);

}  // namespace rl::rewards
