// A plugin from the future: ABI version 2. The loader must refuse it.
#include "rewards/plugins/plugin_abi.h"

namespace {
const RlVerifierPluginV1 kTable = {
    2u, sizeof(RlVerifierPluginV1), 0, "future", nullptr, nullptr, nullptr, nullptr};
}

extern "C" __attribute__((visibility("default"))) const RlVerifierPluginV1* rl_verifier_plugin_v1(
    void) {
  return &kTable;
}
