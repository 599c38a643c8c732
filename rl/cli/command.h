// The `rl` command: one subcommand per file, each a function taking the arguments after its
// name and returning the process exit code (0 ok, 1 failure, 2 usage error). Subcommands
// print results on stdout and progress/errors on stderr.
#pragma once

#include <string>
#include <vector>

#include "rl/core/args.h"
#include "rl/core/status.h"

namespace rl::cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;     // may contain a space for two-word commands ("config check")
  const char* summary;  // one line for `rl --help`
  int (*run)(const Args& args);
};

// All subcommands, in the order `rl --help` lists them.
const std::vector<Command>& Commands();

// Parses args with parser; prints help (returns 0) or the error (returns 2). Returns -1 when
// the command should go on.
int ParseOrExit(ArgParser& parser, const Args& args);

// Prints "rl: <message>" on stderr and returns 1.
int Fail(const Status& status);

// Subcommands (defined in cmd_*.cc).
int RunConfigCheck(const Args& args);
int RunConfigShow(const Args& args);
int RunConfigDoc(const Args& args);
int RunRuns(const Args& args);
int RunMetrics(const Args& args);
int RunPlot(const Args& args);
int RunSamples(const Args& args);
int RunTrain(const Args& args);
int RunEval(const Args& args);
int RunRolloutWorker(const Args& args);
int RunModelInit(const Args& args);
int RunModelInfo(const Args& args);
int RunGenerate(const Args& args);
int RunScore(const Args& args);
int RunVerify(const Args& args);
int RunVerifierServer(const Args& args);
int RunSandboxRun(const Args& args);
int RunSweEval(const Args& args);
int RunSft(const Args& args);

}  // namespace rl::cli
