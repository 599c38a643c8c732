// Shared-library plugins: dlopen + the C table of plugin_abi.h.
#include <dlfcn.h>

#include <mutex>

#include "rewards/plugins/plugin_abi.h"
#include "rewards/plugins/plugins.h"

namespace rl::rewards {
namespace {

struct DlCloser {
  void operator()(void* h) const {
    if (h != nullptr) dlclose(h);
  }
};
using DlHandle = std::unique_ptr<void, DlCloser>;

class SharedLibraryVerifier : public Verifier {
 public:
  SharedLibraryVerifier(DlHandle handle, const RlVerifierPluginV1* table, void* instance,
                        std::string name)
      : handle_(std::move(handle)), table_(table), instance_(instance), name_(std::move(name)) {}
  ~SharedLibraryVerifier() override {
    if (instance_ != nullptr) table_->destroy(instance_);
  }
  SharedLibraryVerifier(const SharedLibraryVerifier&) = delete;
  SharedLibraryVerifier& operator=(const SharedLibraryVerifier&) = delete;

  std::string name() const override { return name_; }

  StatusOr<VerifyResult> Verify(const VerifyInput& in) override {
    RlVerifyRequest req{};
    req.task_id = in.task->id.c_str();
    req.kind = in.task->kind.c_str();
    req.prompt = in.task->prompt.c_str();
    req.answer = in.task->answer.c_str();
    req.metadata_json = in.task->metadata.c_str();
    std::string response(in.response);  // NUL-terminated copy
    req.response = response.c_str();
    req.response_len = response.size();
    req.response_tokens = in.response_tokens;
    req.budget_tokens = in.budget_tokens;
    req.seconds_left = in.deadline == Clock::time_point::max()
                           ? 1e9
                           : std::chrono::duration<double>(in.deadline - Clock::now()).count();
    RlVerifyResponse resp{};
    resp.correct = -1;
    int rc;
    if (table_->flags & RL_PLUGIN_THREAD_SAFE) {
      rc = table_->verify(instance_, &req, &resp);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      rc = table_->verify(instance_, &req, &resp);
    }
    // Take ownership of the plugin's strings before interpreting anything.
    std::string details = resp.details_json ? resp.details_json : "";
    std::string error = resp.error ? resp.error : "";
    if (resp.details_json) table_->free_string(resp.details_json);
    if (resp.error) table_->free_string(resp.error);
    if (rc != 0) {
      return absl::InternalError("plugin '" + name_ +
                                 "': " + (error.empty() ? "verify failed" : error));
    }
    VerifyResult r;
    r.reward = resp.reward;
    if (resp.correct >= 0) r.correct = resp.correct == 1;
    if (!details.empty()) {
      try {
        r.details = nlohmann::json::parse(details);
      } catch (const nlohmann::json::exception& e) {
        return absl::DataLossError("plugin '" + name_ + "': details_json is not JSON: " + e.what());
      }
      if (!r.details.is_object())
        return absl::DataLossError("plugin '" + name_ + "': details_json is not an object");
    }
    return r;
  }

 private:
  DlHandle handle_;
  const RlVerifierPluginV1* table_;
  void* instance_;
  std::string name_;
  std::mutex mu_;
};

}  // namespace

StatusOr<std::shared_ptr<Verifier>> LoadSharedLibraryVerifier(const std::string& path,
                                                              const std::string& name,
                                                              const std::string& options_json) {
  DlHandle handle(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle) {
    const char* e = dlerror();
    return absl::NotFoundError(path + ": cannot load plugin: " + (e ? e : "unknown error"));
  }
  auto entry =
      reinterpret_cast<RlVerifierPluginEntry>(dlsym(handle.get(), RL_VERIFIER_PLUGIN_SYMBOL));
  if (entry == nullptr) {
    return absl::InvalidArgumentError(path + ": not a verifier plugin (no symbol " +
                                      std::string(RL_VERIFIER_PLUGIN_SYMBOL) + ")");
  }
  const RlVerifierPluginV1* table = entry();
  if (table == nullptr) return absl::InvalidArgumentError(path + ": plugin table is null");
  if (table->abi_version != RL_VERIFIER_ABI_VERSION) {
    return absl::FailedPreconditionError(
        path + ": plugin ABI version " + std::to_string(table->abi_version) +
        ", this framework speaks " + std::to_string(RL_VERIFIER_ABI_VERSION));
  }
  if (table->struct_size < sizeof(RlVerifierPluginV1) || !table->create || !table->destroy ||
      !table->verify || !table->free_string) {
    return absl::InvalidArgumentError(path + ": plugin table is incomplete");
  }
  char* error = nullptr;
  void* instance = table->create(options_json.c_str(), &error);
  if (instance == nullptr) {
    std::string msg = error ? error : "create returned NULL";
    if (error) table->free_string(error);
    return absl::InvalidArgumentError(path + ": plugin create failed: " + msg);
  }
  std::string n = !name.empty() ? name : (table->name ? table->name : "");
  if (n.empty()) {
    table->destroy(instance);
    return absl::InvalidArgumentError(path + ": plugin has no name and none was configured");
  }
  return std::shared_ptr<Verifier>(
      std::make_shared<SharedLibraryVerifier>(std::move(handle), table, instance, n));
}

}  // namespace rl::rewards
