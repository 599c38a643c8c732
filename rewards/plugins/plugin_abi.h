/* The C ABI of a verifier plugin shared library (version 1). Pure C: no C++ type crosses
 * dlopen. A plugin exports exactly one function,
 *     const RlVerifierPluginV1* rl_verifier_plugin_v1(void);
 * returning a table that lives as long as the library is loaded. The framework checks
 * abi_version == RL_VERIFIER_ABI_VERSION and struct_size >= sizeof(RlVerifierPluginV1).
 *
 * Ownership: every string the framework passes is owned by the framework and valid only
 * during the call. Strings the plugin returns in RlVerifyResponse (details_json, error) are
 * allocated by the plugin and released by the framework through free_string.
 * Threads: when flags has RL_PLUGIN_THREAD_SAFE, verify may run concurrently on one
 * instance; otherwise the framework serialises calls per instance.
 * Errors: verify returns 0 and fills the response, or returns non-zero with `error` set;
 * the framework then gives the configured fallback reward and records an alert. */
#ifndef RL_REWARDS_PLUGINS_PLUGIN_ABI_H_
#define RL_REWARDS_PLUGINS_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RL_VERIFIER_ABI_VERSION 1u
#define RL_PLUGIN_THREAD_SAFE 1u
#define RL_VERIFIER_PLUGIN_SYMBOL "rl_verifier_plugin_v1"

typedef struct RlVerifyRequest {
  const char* task_id;
  const char* kind;
  const char* prompt;
  const char* answer;        /* reference answer or worked solution */
  const char* metadata_json; /* a JSON object */
  const char* response;      /* may contain NUL bytes: use response_len */
  size_t response_len;
  int64_t response_tokens; /* -1 = unknown */
  int64_t budget_tokens;   /* -1 = unknown */
  double seconds_left;     /* time until the call's deadline */
} RlVerifyRequest;

typedef struct RlVerifyResponse {
  float reward;
  int correct;        /* 1 correct, 0 incorrect, -1 not judged */
  char* details_json; /* optional JSON object, released with free_string */
  char* error;        /* set when verify returns non-zero, released with free_string */
} RlVerifyResponse;

typedef struct RlVerifierPluginV1 {
  uint32_t abi_version; /* RL_VERIFIER_ABI_VERSION */
  uint32_t struct_size; /* sizeof(RlVerifierPluginV1) as compiled by the plugin */
  uint32_t flags;       /* RL_PLUGIN_THREAD_SAFE */
  const char* name;     /* default verifier name */
  /* options_json: the plugin's options (a JSON object, "{}" when none). Returns an
   * instance, or NULL with *error set (released with free_string). */
  void* (*create)(const char* options_json, char** error);
  void (*destroy)(void* instance);
  int (*verify)(void* instance, const RlVerifyRequest* request, RlVerifyResponse* response);
  void (*free_string)(char* s);
} RlVerifierPluginV1;

typedef const RlVerifierPluginV1* (*RlVerifierPluginEntry)(void);

#ifdef __cplusplus
}
#endif

#endif /* RL_REWARDS_PLUGINS_PLUGIN_ABI_H_ */
