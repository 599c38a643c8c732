// Example verifier plugin as a C++ shared library. Only the C table of
// rewards/plugins/plugin_abi.h crosses the dlopen boundary; C++ stays inside.
//
// Verifier "exact_match": reward 1 when the last non-empty line of the response equals the
// reference answer after trimming (and, with {"case_sensitive": false}, ignoring case).
//
// Build (outside this repository's CMake):
//   g++ -std=c++20 -shared -fPIC -I<repo> exact_match_plugin.cc -o libexact_match.so
// Use in a run's YAML:
//   rewards:
//     verifiers: {short_answer: exact_match}
//     plugins: [{name: exact_match, type: shared_library, path: ./libexact_match.so}]
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "rewards/plugins/plugin_abi.h"

namespace {

struct Instance {
  bool case_sensitive = true;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Fold(std::string_view s, bool case_sensitive) {
  std::string out(s);
  if (!case_sensitive) {
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

void* Create(const char* options_json, char** error) {
  // A deliberately tiny options reader: the only option is a boolean.
  std::string opts = options_json ? options_json : "{}";
  (void)error;
  auto inst = std::make_unique<Instance>();
  if (opts.find("\"case_sensitive\"") != std::string::npos &&
      opts.find("false") != std::string::npos) {
    inst->case_sensitive = false;
  }
  return inst.release();  // owned by the framework until destroy()
}

void Destroy(void* instance) { std::unique_ptr<Instance>(static_cast<Instance*>(instance)); }

int Verify(void* instance, const RlVerifyRequest* req, RlVerifyResponse* resp) {
  const auto* inst = static_cast<const Instance*>(instance);
  if (req->answer == nullptr) {
    resp->error = Dup("task has no reference answer");
    return 1;
  }
  std::string_view text(req->response, req->response_len);
  std::string_view last;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = Trim(
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (!line.empty()) last = line;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  bool ok = Fold(last, inst->case_sensitive) == Fold(Trim(req->answer), inst->case_sensitive);
  resp->reward = ok ? 1.0f : 0.0f;
  resp->correct = ok ? 1 : 0;
  resp->details_json =
      Dup(std::string("{\"last_line_chars\":") + std::to_string(last.size()) + "}");
  return 0;
}

void FreeString(char* s) { std::free(s); }

const RlVerifierPluginV1 kTable = {RL_VERIFIER_ABI_VERSION,
                                   sizeof(RlVerifierPluginV1),
                                   RL_PLUGIN_THREAD_SAFE,
                                   "exact_match",
                                   Create,
                                   Destroy,
                                   Verify,
                                   FreeString};

}  // namespace

extern "C" __attribute__((visibility("default"))) const RlVerifierPluginV1* rl_verifier_plugin_v1(
    void) {
  return &kTable;
}
