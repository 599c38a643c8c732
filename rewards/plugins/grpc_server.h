// VerifierServer: serves a VerifierRegistry over proto/verifier.proto with the gRPC callback
// API. Handlers return at once; verification runs on the server's own thread pool and
// finishes the reactor from there. Each call gets the client's deadline (capped by
// timeout_s) as its VerifyInput deadline. The standard health service reports SERVING while
// the server runs. Shutdown() is idempotent: it stops accepting calls, lets in-flight calls
// finish (up to a grace period) and joins the pool; the destructor calls it.
// The registry is shared with the caller and must not be mutated while serving.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "rewards/verifier.h"

namespace rl::rewards {

struct VerifierServerOptions {
  std::string address = "127.0.0.1:0";  // port 0 = pick a free port
  int threads = 2;
  double timeout_s = 30.0;
  std::map<std::string, std::string> kind_to_verifier;  // used when a request names no verifier
};

class VerifierServer {
 public:
  static StatusOr<std::unique_ptr<VerifierServer>> Start(std::shared_ptr<VerifierRegistry> registry,
                                                         VerifierServerOptions options);
  ~VerifierServer();
  VerifierServer(const VerifierServer&) = delete;
  VerifierServer& operator=(const VerifierServer&) = delete;

  int port() const;
  void Shutdown();
  // Blocks until Shutdown() is called from another thread.
  void Wait();

 private:
  struct Impl;
  explicit VerifierServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl::rewards
