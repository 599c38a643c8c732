// `rl sandbox run [--time S] [--wall S] [--mem MB] [--procs N] [--dir DIR] -- CMD ARGS…`:
// runs one command in a fresh sandbox (sandbox/sandbox.h) and prints one JSON object.
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "rl/cli/command.h"
#include "sandbox/sandbox.h"

namespace rl::cli {

int RunSandboxRun(const Args& args) {
  sandbox::Limits defaults;
  ArgParser p("rl sandbox run",
              "Run CMD in a fresh sandbox; prints {status, exit_code, signal, cpu_s, wall_s, "
              "max_rss_kb, stdout, stderr, truncated} as JSON. stdin is passed through.");
  p.Option("time", "S", "CPU seconds per process", std::to_string(defaults.cpu_s));
  p.Option("wall", "S", "wall-clock deadline in seconds", std::to_string(defaults.wall_s));
  p.Option("mem", "MB", "memory limit", std::to_string(defaults.memory_mb));
  p.Option("procs", "N", "processes and threads", std::to_string(defaults.procs));
  p.Option("output", "KB", "cap of stdout and of stderr", std::to_string(defaults.output_kb));
  p.Option("dir", "DIR", "host directory copied into the work directory /work");
  p.Flag("no-stdin", "do not pass stdin on (never passed when it is a terminal)");
  p.Rest("CMD", "the command and its arguments");
  if (int rc = ParseOrExit(p, args); rc >= 0) return rc;
  if (p.rest().empty()) {
    std::cerr << "rl: sandbox run: no command given (put it after --)\n";
    return 2;
  }
  sandbox::JobSpec spec;
  spec.argv = p.rest();
  spec.work_dir_source = p.Get("dir");
  auto cpu = p.GetDouble("time");
  auto wall = p.GetDouble("wall");
  auto mem = p.GetInt("mem");
  auto procs = p.GetInt("procs");
  auto output = p.GetInt("output");
  for (const Status* st :
       {&cpu.status(), &wall.status(), &mem.status(), &procs.status(), &output.status()}) {
    if (!st->ok()) {
      std::cerr << "rl: sandbox run: " << st->message() << "\n";
      return 2;
    }
  }
  spec.limits.cpu_s = *cpu;
  spec.limits.wall_s = *wall;
  spec.limits.memory_mb = *mem;
  spec.limits.procs = *procs;
  spec.limits.output_kb = *output;
  if (!p.GetFlag("no-stdin") && !isatty(0)) {
    spec.stdin_data.assign(std::istreambuf_iterator<char>(std::cin),
                           std::istreambuf_iterator<char>());
  }
  auto result = sandbox::RunJob(spec);
  if (!result.ok()) return Fail(result.status());
  const sandbox::JobResult& r = *result;
  nlohmann::ordered_json j;
  j["status"] = sandbox::OutcomeName(r.status);
  j["exit_code"] = r.exit_code;
  j["signal"] = r.signal;
  j["cpu_s"] = r.cpu_s;
  j["wall_s"] = r.wall_s;
  j["max_rss_kb"] = r.max_rss_kb;
  j["stdout"] = sandbox::SanitizeUtf8(r.stdout_data);
  j["stderr"] = sandbox::SanitizeUtf8(r.stderr_data);
  j["truncated"] = r.truncated;
  if (!r.message.empty()) j["message"] = r.message;
  std::cout << j.dump() << "\n";
  return 0;
}

}  // namespace rl::cli
